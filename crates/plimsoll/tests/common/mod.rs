//! Real components shared by the integration tests.
#![allow(dead_code)]

pub mod kube_env;
pub mod tools;

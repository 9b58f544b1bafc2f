//! Real components shared by the integration tests.
#![allow(dead_code)]

pub mod formats;
pub mod kube_env;
pub mod tools;

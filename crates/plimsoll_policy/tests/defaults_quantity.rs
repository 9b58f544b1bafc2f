//! Quantities as the API server writes them back (`resource.Quantity.String`), and the
//! rounding of resource lists to milli-units.

use plimsoll_policy::defaults::canonical_quantity;
use serde_json::json;

#[test]
fn canonical_forms() {
    for (given, milli, want) in [
        (json!("0.5"), true, "500m"),
        (json!(0.5), true, "500m"),
        (json!(2), true, "2"),
        (json!("1000m"), true, "1"),
        (json!("100m"), true, "100m"),
        (json!("0.0001"), true, "1m"),
        (json!("0.0001"), false, "100u"),
        (json!("1.5Gi"), true, "1536Mi"),
        (json!("1024Mi"), true, "1Gi"),
        (json!("2048Mi"), true, "2Gi"),
        (json!("1000Mi"), true, "1000Mi"),
        (json!("0.5Ki"), true, "512"),
        (json!("1000M"), true, "1G"),
        (json!("1e9"), true, "1e9"),
        (json!("1.5e3"), true, "1500"),
        (json!("128974848"), true, "128974848"),
        (json!("20.5"), true, "20500m"),
        (json!("10"), true, "10"),
        (json!("0"), true, "0"),
        (json!("20480Mi"), true, "20Gi"),
        (json!("100G"), true, "100G"),
    ] {
        assert_eq!(
            canonical_quantity(&given, milli).as_deref(),
            Some(want),
            "{given}"
        );
    }
}

#[test]
fn what_does_not_parse_is_left_alone() {
    for bad in [
        json!("1GB"),
        json!("abc"),
        json!(""),
        json!(true),
        json!(null),
    ] {
        assert_eq!(canonical_quantity(&bad, true), None, "{bad}");
    }
}

//! Version ordinals as Java's `MQVersion.Version` enum numbers them: clients and brokers send
//! the ordinal (`version` in every command, `Connection.version`), tools print its name.

/// The ordinal of `V4_0_0_SNAPSHOT`; from here on each release `a.b.c` has two ordinals,
/// `V{a}_{b}_{c}_SNAPSHOT` then `V{a}_{b}_{c}`, up to 5.9.9.
const V4_0_0_SNAPSHOT: i32 = 212;
/// The ordinal of `HIGHER_VERSION`, the enum's last value.
const HIGHER_VERSION: i32 = 612;

/// Java's `MQVersion.getVersionDesc`: `401` → `V4_9_4`, `412` → `V5_0_0_SNAPSHOT`, `612` and
/// above → `HIGHER_VERSION`; the 3.x ordinals (below 212) are given as their number.
pub fn version_desc(ordinal: i32) -> String {
    if ordinal >= HIGHER_VERSION {
        return "HIGHER_VERSION".into();
    }
    if ordinal < V4_0_0_SNAPSHOT {
        return ordinal.to_string();
    }
    let n = ordinal - V4_0_0_SNAPSHOT;
    let (release, snapshot) = (n / 2, n % 2 == 0);
    let (major, minor, patch) = (4 + release / 100, release / 10 % 10, release % 10);
    let suffix = if snapshot { "_SNAPSHOT" } else { "" };
    format!("V{major}_{minor}_{patch}{suffix}")
}

#[cfg(test)]
mod tests {
    use super::version_desc;

    #[test]
    fn names_as_java() {
        assert_eq!(version_desc(212), "V4_0_0_SNAPSHOT");
        assert_eq!(version_desc(213), "V4_0_0");
        assert_eq!(version_desc(401), "V4_9_4");
        assert_eq!(version_desc(407), "V4_9_7");
        assert_eq!(version_desc(412), "V5_0_0_SNAPSHOT");
        assert_eq!(version_desc(413), "V5_0_0");
        assert_eq!(version_desc(479), "V5_3_3");
        assert_eq!(version_desc(611), "V5_9_9");
        assert_eq!(version_desc(612), "HIGHER_VERSION");
        assert_eq!(version_desc(700), "HIGHER_VERSION");
        assert_eq!(version_desc(100), "100");
    }
}

//! Namespaces: RocketMQ's `namespace%resource` naming of topics and groups.
//!
//! A client with a namespace wraps every topic and group it puts on the wire and unwraps the
//! names it hands back to users. Retry and DLQ topics keep their prefix in front:
//! `%RETRY%namespace%group`.

const RETRY_PREFIX: &str = "%RETRY%";
const DLQ_PREFIX: &str = "%DLQ%";
const SEPARATOR: char = '%';

/// `resource` as it goes on the wire under `namespace` (unchanged when the namespace is empty,
/// the resource is already wrapped, or it is a system topic such as `TBW102`).
pub fn wrap_namespace(namespace: &str, resource: &str) -> String {
    if namespace.is_empty() || is_system_resource(resource) {
        return resource.to_owned();
    }
    for prefix in [RETRY_PREFIX, DLQ_PREFIX] {
        if let Some(rest) = resource.strip_prefix(prefix) {
            if is_wrapped(namespace, rest) {
                return resource.to_owned();
            }
            return format!("{prefix}{namespace}{SEPARATOR}{rest}");
        }
    }
    if is_wrapped(namespace, resource) {
        return resource.to_owned();
    }
    format!("{namespace}{SEPARATOR}{resource}")
}

/// `resource` as users see it: the namespace taken off (retry and DLQ prefixes stay).
pub fn unwrap_namespace(namespace: &str, resource: &str) -> String {
    if namespace.is_empty() {
        return resource.to_owned();
    }
    for prefix in [RETRY_PREFIX, DLQ_PREFIX] {
        if let Some(rest) = resource.strip_prefix(prefix) {
            if let Some(plain) = strip(namespace, rest) {
                return format!("{prefix}{plain}");
            }
            return resource.to_owned();
        }
    }
    strip(namespace, resource)
        .map(str::to_owned)
        .unwrap_or_else(|| resource.to_owned())
}

fn strip<'a>(namespace: &str, resource: &'a str) -> Option<&'a str> {
    resource
        .strip_prefix(namespace)
        .and_then(|rest| rest.strip_prefix(SEPARATOR))
}

fn is_wrapped(namespace: &str, resource: &str) -> bool {
    strip(namespace, resource).is_some()
}

fn is_system_resource(resource: &str) -> bool {
    matches!(
        resource,
        "TBW102"
            | "SELF_TEST_TOPIC"
            | "OFFSET_MOVED_EVENT"
            | "SCHEDULE_TOPIC_XXXX"
            | "RMQ_SYS_TRANS_HALF_TOPIC"
    ) || resource.starts_with("rmq_sys_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_and_unwraps() {
        assert_eq!(wrap_namespace("", "t"), "t");
        assert_eq!(wrap_namespace("ns", "t"), "ns%t");
        assert_eq!(wrap_namespace("ns", "ns%t"), "ns%t");
        assert_eq!(wrap_namespace("ns", "%RETRY%g"), "%RETRY%ns%g");
        assert_eq!(wrap_namespace("ns", "%DLQ%ns%g"), "%DLQ%ns%g");
        assert_eq!(wrap_namespace("ns", "TBW102"), "TBW102");
        assert_eq!(unwrap_namespace("ns", "ns%t"), "t");
        assert_eq!(unwrap_namespace("ns", "%RETRY%ns%g"), "%RETRY%g");
        assert_eq!(unwrap_namespace("ns", "other%t"), "other%t");
        assert_eq!(unwrap_namespace("", "ns%t"), "ns%t");
    }
}

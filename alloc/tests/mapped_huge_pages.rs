//! A 64 MiB mapped payload really is backed by transparent huge pages where the kernel allows.

use courier_alloc::{MappedPayload, NodeId};

const LEN_BYTES: usize = 64 << 20;

#[test]
fn a_64_mib_mapped_payload_gets_huge_pages_where_the_kernel_allows() {
    let mode =
        std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled").unwrap_or_default();
    if !(mode.contains("[always]") || mode.contains("[madvise]")) {
        eprintln!(
            "skipped: transparent huge pages are off here (mode: {})",
            mode.trim()
        );
        return;
    }
    if std::env::var_os("COURIER_UNDER_VALGRIND").is_some() {
        eprintln!("skipped: valgrind does not reproduce the kernel's huge-page backing");
        return;
    }
    let payload = MappedPayload::zeroed(NodeId(0), LEN_BYTES).expect("64 MiB maps");
    let start = payload.region().as_ptr().as_ptr() as usize;
    assert_eq!(start % (2 << 20), 0, "the mapping is huge-page aligned");
    let huge_kib = anon_huge_kib(start).expect("the mapping is listed in /proc/self/smaps");
    assert_eq!(
        huge_kib,
        LEN_BYTES / 1024,
        "every page of the payload is a huge page"
    );
}

/// `AnonHugePages` of the smaps entry that starts at or contains `start`.
fn anon_huge_kib(start: usize) -> Option<usize> {
    let smaps = std::fs::read_to_string("/proc/self/smaps").ok()?;
    let mut in_entry = false;
    for line in smaps.lines() {
        if let Some((range, _)) = line.split_once(' ')
            && let Some((from, to)) = range.split_once('-')
            && let (Ok(from), Ok(to)) = (
                usize::from_str_radix(from, 16),
                usize::from_str_radix(to, 16),
            )
        {
            in_entry = from <= start && start < to;
            continue;
        }
        if in_entry && let Some(rest) = line.strip_prefix("AnonHugePages:") {
            return rest.trim().trim_end_matches("kB").trim().parse().ok();
        }
    }
    None
}

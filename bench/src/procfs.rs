//! What Linux says about a process: its memory (`/proc/<pid>/status`) and the bench's open-file limit
//! (`/proc/self/limits`).

/// The value in kB of `field` (`VmRSS`, `VmHWM`) in the text of a `/proc/<pid>/status` file.
pub fn status_kb(status: &str, field: &str) -> Option<u64> {
    status.lines().find_map(|line| {
        let rest = line.strip_prefix(field)?.strip_prefix(':')?;
        let mut words = rest.split_whitespace();
        let value = words.next()?.parse().ok()?;
        (words.next() == Some("kB")).then_some(value)
    })
}

/// A process's memory, in kB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Memory {
    /// Resident now (`VmRSS`).
    pub rss_kb: u64,
    /// The most it was ever resident (`VmHWM`).
    pub peak_kb: u64,
}

/// The memory of process `pid`; `None` when it is gone or this is not Linux.
pub fn memory(pid: u32) -> Option<Memory> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    Some(Memory { rss_kb: status_kb(&status, "VmRSS")?, peak_kb: status_kb(&status, "VmHWM")? })
}

/// The soft limit on open files in the text of a `/proc/<pid>/limits` file; `None` when unlimited or absent.
pub fn open_files_limit(limits: &str) -> Option<u64> {
    let line = limits.lines().find(|line| line.starts_with("Max open files"))?;
    line["Max open files".len()..].split_whitespace().next()?.parse().ok()
}

/// The bench's own soft limit on open files, when it can be read.
pub fn own_open_files_limit() -> Option<u64> {
    open_files_limit(&std::fs::read_to_string("/proc/self/limits").ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_memory_fields() {
        let status = "Name:\tconfab-server\nVmPeak:\t  900 kB\nVmHWM:\t  123456 kB\nVmRSS:\t   98765 kB\nThreads:\t3\n";
        assert_eq!(status_kb(status, "VmRSS"), Some(98_765));
        assert_eq!(status_kb(status, "VmHWM"), Some(123_456));
        assert_eq!(status_kb(status, "VmSwap"), None);
        assert_eq!(status_kb(status, "Threads"), None, "not in kB");
        assert_eq!(status_kb("VmRSSX:\t1 kB\n", "VmRSS"), None);
        let me = memory(std::process::id()).expect("Linux has /proc");
        assert!(me.rss_kb > 0 && me.peak_kb >= me.rss_kb);
    }

    #[test]
    fn reads_the_open_files_limit() {
        let limits = "Limit                     Soft Limit           Hard Limit           Units     \n\
                      Max processes             127431               127431               processes \n\
                      Max open files            20000                20000                files     \n";
        assert_eq!(open_files_limit(limits), Some(20_000));
        let unlimited = "Max open files            unlimited            unlimited            files\n";
        assert_eq!(open_files_limit(unlimited), None);
        assert_eq!(open_files_limit(""), None);
    }
}

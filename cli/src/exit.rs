//! Every exit status of `edgestack`, in this one place. The README's table and `--help` are
//! made from [`Exit::ALL`]; scripts rely on the numbers, so they never change meaning.

use std::process::ExitCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Done: the stack is `READY` (or `DELETED` when its deletion was waited for), or the request
    /// succeeded.
    Ok,
    /// Anything else: no answer, a server error (5xx), throttled after retries, no credentials,
    /// an answer that is not the provisioning API's.
    Error,
    /// The command line itself is wrong (clap's own code for it), or `--file` cannot be read.
    Usage,
    /// The stack is `FAILED`; its `error` says why.
    Failed,
    /// `wait` gave up before the stack settled (`--timeout`).
    TimedOut,
    /// The API refused the request as invalid (400, 413, 415); nothing was created.
    BadRequest,
    /// No such stack for this caller (404).
    NotFound,
    /// A conflict (409): the domain is taken, an idempotency key was reused with another body,
    /// the stack is already being deleted.
    Conflict,
    /// No identity, or not allowed (401, 403).
    Denied,
    /// The stack was deleted while it was waited for to become `READY`.
    Deleted,
}

impl Exit {
    pub const ALL: [Exit; 10] = [
        Exit::Ok,
        Exit::Error,
        Exit::Usage,
        Exit::Failed,
        Exit::TimedOut,
        Exit::BadRequest,
        Exit::NotFound,
        Exit::Conflict,
        Exit::Denied,
        Exit::Deleted,
    ];

    pub fn code(self) -> u8 {
        match self {
            Exit::Ok => 0,
            Exit::Error => 1,
            Exit::Usage => 2,
            Exit::Failed => 3,
            Exit::TimedOut => 4,
            Exit::BadRequest => 5,
            Exit::NotFound => 6,
            Exit::Conflict => 7,
            Exit::Denied => 8,
            Exit::Deleted => 9,
        }
    }

    pub fn meaning(self) -> &'static str {
        match self {
            Exit::Ok => "success: the stack is READY (DELETED when a deletion was waited for)",
            Exit::Error => "no answer, a server error, throttling, no credentials",
            Exit::Usage => "bad command line, or --file cannot be read",
            Exit::Failed => "the stack is FAILED",
            Exit::TimedOut => "wait timed out before the stack settled",
            Exit::BadRequest => "the API refused the request as invalid (400, 413, 415)",
            Exit::NotFound => "no such stack (404)",
            Exit::Conflict => "conflict (409)",
            Exit::Denied => "not authenticated or not allowed (401, 403)",
            Exit::Deleted => "the stack was deleted while waiting for READY",
        }
    }

    /// The exit status for an error answer of the API with this HTTP status.
    pub fn for_http_status(status: u16) -> Exit {
        match status {
            400 | 413 | 415 | 422 => Exit::BadRequest,
            401 | 403 => Exit::Denied,
            404 => Exit::NotFound,
            409 => Exit::Conflict,
            _ => Exit::Error,
        }
    }

    /// The table shown after `--help`.
    pub fn help_table() -> String {
        let mut text = String::from("Exit status:\n");
        for exit in Exit::ALL {
            text.push_str(&format!("  {:>2}  {}\n", exit.code(), exit.meaning()));
        }
        text
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_exit_has_its_own_code() {
        let mut codes: Vec<u8> = Exit::ALL.iter().map(|e| e.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), Exit::ALL.len());
        assert_eq!(Exit::Ok.code(), 0);
        // clap exits 2 for a bad command line itself; the enum agrees with it.
        assert_eq!(Exit::Usage.code(), 2);
    }

    #[test]
    fn http_statuses_map_to_their_exit() {
        for (status, exit) in [
            (400, Exit::BadRequest),
            (413, Exit::BadRequest),
            (415, Exit::BadRequest),
            (401, Exit::Denied),
            (403, Exit::Denied),
            (404, Exit::NotFound),
            (409, Exit::Conflict),
            (405, Exit::Error),
            (429, Exit::Error),
            (500, Exit::Error),
            (503, Exit::Error),
        ] {
            assert_eq!(Exit::for_http_status(status), exit, "HTTP {status}");
        }
    }

    #[test]
    fn the_readme_table_is_this_one() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md");
        let readme = std::fs::read_to_string(path).expect("the README");
        for exit in Exit::ALL {
            let row = format!("| {} | {} |", exit.code(), exit.meaning());
            assert!(readme.contains(&row), "README.md lacks the row {row:?}");
        }
    }

    #[test]
    fn the_help_table_names_every_code() {
        let table = Exit::help_table();
        for exit in Exit::ALL {
            assert!(table.contains(exit.meaning()), "{exit:?} missing");
        }
    }
}

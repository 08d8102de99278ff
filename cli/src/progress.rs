//! How a wait shows its progress on standard error: a live display redrawn in place on a
//! terminal, one plain line per change when piped, nothing with `--quiet`.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::time::Duration;

use edgestack_domain::stack::{Stack, Status, StepStatus};

use edgestack_domain::timestamp::Timestamp;

use crate::client::Answered;
use crate::output::{api_name, expected};

const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

pub trait Progress {
    /// The stack as just read (with when the API expects it READY).
    fn update(&mut self, answered: &Answered, elapsed: Duration);
    /// Time passes (the live display's spinner and clock).
    fn tick(&mut self, elapsed: Duration);
    /// Something worth a line that is not the stack (a failed poll).
    fn note(&mut self, line: &str, elapsed: Duration);
    /// The wait is over; the stack as last seen.
    fn finish(&mut self, stack: Option<&Stack>, elapsed: Duration);
}

/// The display for this process: live when standard error is a terminal that can redraw
/// (not `TERM=dumb`), plain lines otherwise, none when quiet.
pub fn for_stderr(quiet: bool) -> Box<dyn Progress> {
    if quiet {
        return Box::new(Silent);
    }
    let stderr = std::io::stderr();
    let dumb = std::env::var("TERM").is_ok_and(|t| t == "dumb");
    if stderr.is_terminal() && !dumb {
        let (width, height) = terminal_size::terminal_size_of(&stderr)
            .map(|(w, h)| (usize::from(w.0), usize::from(h.0)))
            .unwrap_or((100, 40));
        let color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        Box::new(Live::new(stderr, width, height, color))
    } else {
        Box::new(Lines::new(stderr))
    }
}

pub struct Silent;

impl Progress for Silent {
    fn update(&mut self, _: &Answered, _: Duration) {}
    fn tick(&mut self, _: Duration) {}
    fn note(&mut self, _: &str, _: Duration) {}
    fn finish(&mut self, _: Option<&Stack>, _: Duration) {}
}

/// `1:05` or `1:02:05`.
pub fn clock(elapsed: Duration) -> String {
    let s = elapsed.as_secs();
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

/// The records the owner of outside DNS must create (`managed: false`).
fn records_to_create(stack: &Stack) -> Vec<String> {
    stack
        .outputs
        .dns_records
        .iter()
        .filter(|r| !r.managed)
        .map(|r| format!("{} {} {}", r.name, r.record_type, r.value))
        .collect()
}

/// One line per change: the status or phase, each step as it starts, retries or ends.
pub struct Lines<W: Write> {
    out: W,
    stage: Option<(String, String)>,
    steps: BTreeMap<String, (String, u32)>,
    dns_shown: bool,
}

impl<W: Write> Lines<W> {
    pub fn new(out: W) -> Self {
        Self {
            out,
            stage: None,
            steps: BTreeMap::new(),
            dns_shown: false,
        }
    }

    #[cfg(test)]
    pub fn into_inner(self) -> W {
        self.out
    }

    fn line(&mut self, elapsed: Duration, line: &str) {
        // Progress is best effort: a closed standard error must not end the wait.
        let _ = writeln!(self.out, "[{:>5}] {line}", clock(elapsed));
    }
}

impl<W: Write> Progress for Lines<W> {
    fn update(&mut self, answered: &Answered, elapsed: Duration) {
        let stack = &answered.stack;
        let stage = (stack.status().as_str().to_owned(), api_name(&stack.phase));
        if self.stage.as_ref() != Some(&stage) {
            let mut line = format!("{} {} (phase {})", stack.id, stage.0, stage.1);
            // Told as each phase begins, not at every poll: a line per change.
            if let Some(at) = answered.expected_ready_at() {
                line.push_str(&format!(
                    ", READY expected {}",
                    expected(at, Timestamp::now())
                ));
            }
            self.line(elapsed, &line);
            self.stage = Some(stage);
        }
        for step in &stack.steps {
            let status = api_name(&step.status);
            let seen = (status.clone(), step.attempts);
            if self.steps.get(&step.name) == Some(&seen) {
                continue;
            }
            let mut line = format!("  step {}: {status}", step.name);
            if step.attempts > 1 {
                line.push_str(&format!(" (attempt {})", step.attempts));
            }
            if let Some(detail) = &step.detail {
                line.push_str(&format!(" - {detail}"));
            }
            self.line(elapsed, &line);
            self.steps.insert(step.name.clone(), seen);
        }
        if !self.dns_shown && stack.status() == Status::AwaitingDns {
            let records = records_to_create(stack);
            if !records.is_empty() {
                self.line(
                    elapsed,
                    "  create these DNS records where the domain's DNS is:",
                );
                for record in records {
                    self.line(elapsed, &format!("    {record}"));
                }
                self.dns_shown = true;
            }
        }
    }

    fn tick(&mut self, _: Duration) {}

    fn note(&mut self, line: &str, elapsed: Duration) {
        self.line(elapsed, line);
    }

    fn finish(&mut self, _: Option<&Stack>, _: Duration) {
        let _ = self.out.flush();
    }
}

/// A frame redrawn in place: the stack's status, phase and clock, then one line per step.
///
/// Drawn by hand rather than with indicatif: the frame is one snapshot of the stack, redrawn whole
/// at each poll and tick from this thread, with three ECMA-48 sequences (cursor to the previous
/// line N times, erase below, colours). indicatif's model is bars and spinners per task, redrawn
/// by its own ticker, which would add a second owner of the terminal for no gain; the terminal's
/// size comes from a crate (terminal_size), and the tests read the exact bytes drawn into a Vec.
pub struct Live<W: Write> {
    out: W,
    width: usize,
    /// At most this many lines: a frame taller than the terminal could not be redrawn.
    height: usize,
    color: bool,
    stack: Option<Stack>,
    expected_ready_at: Option<Timestamp>,
    note: Option<String>,
    drawn: usize,
    frame: usize,
}

impl<W: Write> Live<W> {
    pub fn new(out: W, width: usize, height: usize, color: bool) -> Self {
        Self {
            out,
            width: width.max(20),
            height: height.max(6),
            color,
            stack: None,
            expected_ready_at: None,
            note: None,
            drawn: 0,
            frame: 0,
        }
    }

    #[cfg(test)]
    pub fn into_inner(self) -> W {
        self.out
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    /// `text` cut to fit the terminal after `used` columns, so that no line wraps (a wrapped
    /// line would break the redraw).
    fn fit(&self, used: usize, text: &str) -> String {
        let room = self.width.saturating_sub(used + 1);
        if text.chars().count() <= room {
            text.to_owned()
        } else {
            let mut cut: String = text.chars().take(room.saturating_sub(1)).collect();
            cut.push('…');
            cut
        }
    }

    fn lines(&self, elapsed: Duration, done: bool) -> Vec<String> {
        let spinner = SPINNER[self.frame % SPINNER.len()];
        let Some(stack) = &self.stack else {
            let head = self.fit(2, &format!("waiting for the stack · {}", clock(elapsed)));
            return vec![format!("{spinner} {head}")];
        };
        let status = stack.status();
        let icon = match status {
            Status::Ready => self.paint("32", "✓"),
            Status::Failed => self.paint("31", "✗"),
            Status::Deleted if done => self.paint("32", "✓"),
            _ if done => self.paint("33", "…"),
            _ => self.paint("36", spinner),
        };
        let mut head = format!(
            "{}  {} · {} · {}",
            stack.id,
            status.as_str(),
            api_name(&stack.phase),
            clock(elapsed)
        );
        if let (Some(at), false) = (self.expected_ready_at, done) {
            let left = at.millis_since(Timestamp::now());
            if left > 0 {
                let left = Duration::from_millis(left as u64);
                head.push_str(&format!(" · READY in ~{}", clock(left)));
            } else {
                head.push_str(" · READY any moment now");
            }
        }
        let head = self.fit(2, &head);
        let mut lines = vec![format!("{icon} {}", self.paint("1", &head))];
        let all_steps = &stack.steps;
        let name_width = all_steps.iter().map(|s| s.name.len()).max().unwrap_or(0);
        // The latest steps, as many as fit beside the head, a note and the DNS records.
        let room = self
            .height
            .saturating_sub(4 + records_to_create(stack).len())
            .max(1);
        let skipped = all_steps.len().saturating_sub(room);
        if skipped > 0 {
            lines.push(format!(
                "  {}",
                self.paint("2", &format!("… {skipped} earlier steps"))
            ));
        }
        for step in &all_steps[skipped..] {
            let icon = match step.status {
                StepStatus::Succeeded => self.paint("32", "✓"),
                StepStatus::Failed => self.paint("31", "✗"),
                StepStatus::Skipped => self.paint("2", "-"),
                StepStatus::Waiting => self.paint("33", "…"),
                _ if done => self.paint("33", "…"),
                _ => self.paint("36", spinner),
            };
            let mut rest = format!("{:<name_width$}  {}", step.name, api_name(&step.status));
            if step.attempts > 1 {
                rest.push_str(&format!(" (attempt {})", step.attempts));
            }
            if let Some(detail) = &step.detail {
                rest.push_str(&format!("  {detail}"));
            }
            lines.push(format!("  {icon} {}", self.fit(4, &rest)));
        }
        if status == Status::AwaitingDns {
            let records = records_to_create(stack);
            if !records.is_empty() {
                lines.push(self.fit(0, "  create these DNS records where the domain's DNS is:"));
                for record in records {
                    lines.push(format!("    {}", self.fit(4, &record)));
                }
            }
        }
        if let Some(note) = &self.note {
            lines.push(format!("  {}", self.paint("2", &self.fit(2, note))));
        }
        lines
    }

    fn draw(&mut self, elapsed: Duration, done: bool) {
        let lines = self.lines(elapsed, done);
        let mut frame = String::new();
        if self.drawn > 0 {
            // Back to the frame's first line, and clear everything below it.
            frame.push_str(&format!("\x1b[{}F", self.drawn));
        }
        frame.push_str("\x1b[J");
        for line in &lines {
            frame.push_str(line);
            frame.push('\n');
        }
        let _ = self.out.write_all(frame.as_bytes());
        let _ = self.out.flush();
        self.drawn = lines.len();
    }
}

impl<W: Write> Progress for Live<W> {
    fn update(&mut self, answered: &Answered, elapsed: Duration) {
        self.stack = Some(answered.stack.clone());
        self.expected_ready_at = answered.expected_ready_at();
        self.note = None;
        self.draw(elapsed, false);
    }

    fn tick(&mut self, elapsed: Duration) {
        self.frame += 1;
        self.draw(elapsed, false);
    }

    fn note(&mut self, line: &str, elapsed: Duration) {
        self.note = Some(line.to_owned());
        self.draw(elapsed, false);
    }

    fn finish(&mut self, stack: Option<&Stack>, elapsed: Duration) {
        if let Some(stack) = stack {
            self.stack = Some(stack.clone());
        }
        self.draw(elapsed, true);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;

    fn stack(status: &str, phase: &str, steps: Value) -> Answered {
        crate::testing::answered(json!({ "status": status, "phase": phase, "steps": steps }))
    }

    #[test]
    fn clocks_read_as_minutes_and_hours() {
        assert_eq!(clock(Duration::from_secs(5)), "0:05");
        assert_eq!(clock(Duration::from_secs(65)), "1:05");
        assert_eq!(clock(Duration::from_secs(3725)), "1:02:05");
    }

    #[test]
    fn lines_show_each_change_once() {
        let mut lines = Lines::new(Vec::new());
        let s = Duration::from_secs;
        lines.update(&stack("PENDING", "ACCEPTED", json!([])), s(0));
        lines.update(&stack("PENDING", "ACCEPTED", json!([])), s(1));
        let validating = json!([{ "name": "validate", "status": "RUNNING", "attempts": 1 }]);
        lines.update(
            &stack("PROVISIONING", "VALIDATING", validating.clone()),
            s(2),
        );
        lines.update(&stack("PROVISIONING", "VALIDATING", validating), s(3));
        let done = json!([
            { "name": "validate", "status": "SUCCEEDED", "attempts": 2, "detail": "API found" },
            { "name": "smoke_test", "status": "SUCCEEDED", "attempts": 1 }
        ]);
        lines.update(&stack("READY", "COMPLETE", done), s(65));
        lines.note("still trying: HTTP 503", s(66));
        let text = String::from_utf8(lines.into_inner()).unwrap();
        assert_eq!(
            text,
            "[ 0:00] stk_aaaaaaaaaaaaaaaaaaaa PENDING (phase ACCEPTED)\n\
             [ 0:02] stk_aaaaaaaaaaaaaaaaaaaa PROVISIONING (phase VALIDATING)\n\
             [ 0:02]   step validate: RUNNING\n\
             [ 1:05] stk_aaaaaaaaaaaaaaaaaaaa READY (phase COMPLETE)\n\
             [ 1:05]   step validate: SUCCEEDED (attempt 2) - API found\n\
             [ 1:05]   step smoke_test: SUCCEEDED\n\
             [ 1:06] still trying: HTTP 503\n"
        );
    }

    #[test]
    fn both_displays_tell_when_the_api_expects_the_stack_ready() {
        let in_ten_minutes = Timestamp::now().plus_seconds(600).plus_millis(500);
        let provisioning = crate::testing::answered(json!({
            "status": "PROVISIONING", "phase": "AWAITING_TURN",
            "expected_ready_at": in_ten_minutes.to_string(),
        }));
        let mut lines = Lines::new(Vec::new());
        lines.update(&provisioning, Duration::ZERO);
        let text = String::from_utf8(lines.into_inner()).unwrap();
        assert!(
            text.contains(&format!(
                "PROVISIONING (phase AWAITING_TURN), READY expected {in_ten_minutes} (in 10:00)"
            )),
            "{text}"
        );
        let mut live = Live::new(Vec::new(), 120, 24, false);
        live.update(&provisioning, Duration::from_secs(3));
        let text = String::from_utf8(live.into_inner()).unwrap();
        assert!(
            text.contains("AWAITING_TURN · 0:03 · READY in ~10:00"),
            "{text}"
        );

        let unknown = stack("PROVISIONING", "VALIDATING", json!([]));
        let mut live = Live::new(Vec::new(), 120, 24, false);
        live.update(&unknown, Duration::ZERO);
        let text = String::from_utf8(live.into_inner()).unwrap();
        assert!(
            !text.contains("READY"),
            "nothing said without an expectation: {text}"
        );
    }

    #[test]
    fn lines_name_the_records_outside_dns_needs() {
        let mut lines = Lines::new(Vec::new());
        let awaiting = crate::testing::answered(json!({
            "status": "AWAITING_DNS", "phase": "AWAITING_CERTIFICATE_VALIDATION",
            "outputs": { "dns_records": [
                { "name": "_x.api.example.com", "type": "CNAME", "value": "_y.acm-validations.aws",
                  "purpose": "certificate_validation", "managed": false }
            ] }
        }));
        lines.update(&awaiting, Duration::ZERO);
        lines.update(&awaiting, Duration::from_secs(2));
        let text = String::from_utf8(lines.into_inner()).unwrap();
        assert_eq!(
            text.matches("_x.api.example.com CNAME _y.acm-validations.aws")
                .count(),
            1,
            "{text}"
        );
    }

    #[test]
    fn the_live_display_redraws_in_place_and_never_wraps() {
        let mut live = Live::new(Vec::new(), 80, 24, false);
        let steps = json!([
            { "name": "validate", "status": "SUCCEEDED", "attempts": 1,
              "detail": "a detail that runs on and on far too long to fit on one line of eighty columns, so it is cut" },
            { "name": "create_distribution", "status": "RUNNING", "attempts": 1 }
        ]);
        live.update(
            &stack("PROVISIONING", "CREATING_DISTRIBUTION", steps),
            Duration::from_secs(3),
        );
        live.tick(Duration::from_secs(4));
        live.finish(None, Duration::from_secs(5));
        let text = String::from_utf8(live.into_inner()).unwrap();
        // Three frames of three lines; the second and third start by going back up three.
        assert_eq!(text.matches("\x1b[3F").count(), 2, "{text:?}");
        for line in text.split('\n') {
            let visible = line.rsplit("\x1b[J").next().unwrap();
            assert!(visible.chars().count() < 80, "{visible:?} wraps");
        }
        assert!(text.contains("✓ validate"), "{text}");
        assert!(text.contains("far too long …"), "{text}");
        assert!(text.contains("create_distribution"), "{text}");
        assert!(
            text.contains("PROVISIONING · CREATING_DISTRIBUTION · 0:03"),
            "{text}"
        );
    }

    #[test]
    fn the_live_display_fits_the_terminals_height() {
        let mut live = Live::new(Vec::new(), 80, 8, false);
        let steps: Vec<Value> = (0..20)
            .map(|i| json!({ "name": format!("step_{i}"), "status": "SUCCEEDED", "attempts": 1 }))
            .collect();
        live.update(
            &stack("DELETING", "DELETING_CERTIFICATES", json!(steps)),
            Duration::ZERO,
        );
        let text = String::from_utf8(live.into_inner()).unwrap();
        assert!(text.lines().count() < 8, "{text}");
        assert!(text.contains("… 16 earlier steps"), "{text}");
        assert!(
            text.contains("step_19") && !text.contains("step_3 "),
            "{text}"
        );
    }
}

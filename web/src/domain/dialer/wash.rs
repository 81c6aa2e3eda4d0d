//! Washing a calling list (norm 4.4.4, 4.6.3): each number in, one verdict
//! out, in input order. Works on chunks of bytes as they arrive so a list of
//! any length runs in bounded memory.

use std::sync::Arc;

use crate::domain::dialer::national::NationalCopy;
use crate::domain::dialer::registers::{KeySet, LANES, parse_key_bytes};
use crate::domain::stats::export::starts_formula;

/// What the dialer may do with a number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, strum::IntoStaticStr)]
#[strum(serialize_all = "kebab-case")]
pub enum Verdict {
    Callable,
    /// In the centre's register or the campaign's client's register.
    Reserved,
    /// Not a valid phone number.
    Invalid,
    /// A call to it was abandoned recently: only an agent may call (norm 4.6.3).
    AgentRequired,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// How a list is laid out, decided by its first line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// One number per line.
    Lines,
    /// CSV with a header; the number is in column `column`.
    Csv { delimiter: u8, column: usize },
}

impl Layout {
    /// A first line with a `number` (or `nummer`) field is a CSV header.
    pub fn detect(first_line: &[u8]) -> Layout {
        let mut csv = CsvLine::default();
        for delimiter in [b',', b';', b'\t'] {
            if !first_line.contains(&delimiter) && delimiter != b',' {
                continue;
            }
            csv.read(first_line, delimiter);
            let column = csv.fields().position(|f| {
                let f = unquoted(f);
                f.eq_ignore_ascii_case(b"number") || f.eq_ignore_ascii_case(b"nummer")
            });
            if let Some(column) = column {
                return Layout::Csv { delimiter, column };
            }
        }
        Layout::Lines
    }

    pub fn is_csv(self) -> bool {
        matches!(self, Layout::Csv { .. })
    }
}

/// A line without its line ending.
pub fn trim_line(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// A field without the blanks around it. A field that still has quotes
/// around it had blanks before its opening quote (`a; "912 34 567"`), so
/// CSV read the quotes as text: they go too.
fn unquoted(f: &[u8]) -> &[u8] {
    let t = f.trim_ascii();
    t.strip_prefix(b"\"")
        .and_then(|f| f.strip_suffix(b"\""))
        .unwrap_or(t)
}

/// The fields of one CSV line, read by `csv_core` (the `csv` crate's
/// parser): a field in double quotes may hold the delimiter, and `""` in it
/// is one quote. A list is read a line at a time, so that each input line
/// gets exactly one verdict line; a line ending inside quotes ends the
/// field there. The buffers are reused from line to line.
#[derive(Debug, Default)]
struct CsvLine {
    /// The parser for the delimiter in use (built once: it builds a DFA).
    reader: Option<(u8, csv_core::Reader)>,
    /// The fields' bytes, unquoted, one after another.
    out: Vec<u8>,
    /// Where each field ends in `out`.
    ends: Vec<usize>,
    len: usize,
}

impl CsvLine {
    fn read(&mut self, line: &[u8], delimiter: u8) {
        let reader = match &mut self.reader {
            Some((d, r)) if *d == delimiter => {
                r.reset();
                r
            }
            slot => {
                // Every byte of a line is field data except the line
                // ending, which is gone already: `\r` inside a line is text.
                let r = csv_core::ReaderBuilder::new()
                    .delimiter(delimiter)
                    .terminator(csv_core::Terminator::Any(b'\n'))
                    .build();
                &mut slot.insert((delimiter, r)).1
            }
        };
        // Unquoting only shortens a line, and a line of n bytes has at
        // most n + 1 fields: neither buffer can fill up.
        if self.out.len() < line.len() {
            self.out.resize(line.len(), 0);
        }
        if self.ends.len() <= line.len() {
            self.ends.resize(line.len() + 1, 0);
        }
        let (mut input, mut nout, mut nend) = (line, 0, 0);
        loop {
            let (res, nin, o, e) =
                reader.read_record(input, &mut self.out[nout..], &mut self.ends[nend..]);
            input = &input[nin..];
            nout += o;
            nend += e;
            match res {
                // An empty input tells the reader the line is over.
                csv_core::ReadRecordResult::InputEmpty => continue,
                csv_core::ReadRecordResult::OutputFull => {
                    let n = self.out.len().max(16) * 2;
                    self.out.resize(n, 0);
                }
                csv_core::ReadRecordResult::OutputEndsFull => {
                    let n = self.ends.len().max(16) * 2;
                    self.ends.resize(n, 0);
                }
                csv_core::ReadRecordResult::Record | csv_core::ReadRecordResult::End => break,
            }
        }
        self.len = nend;
    }

    fn field(&self, i: usize) -> Option<&[u8]> {
        if i >= self.len {
            return None;
        }
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        Some(&self.out[start..self.ends[i]])
    }

    fn fields(&self) -> impl Iterator<Item = &[u8]> {
        (0..self.len).filter_map(|i| self.field(i))
    }
}

/// Reads a calling list or a register line by line: the first line decides
/// the [`Layout`]; each later line gives the number's text in it.
#[derive(Debug, Default)]
pub struct ListReader {
    layout: Option<Layout>,
    csv: CsvLine,
}

impl ListReader {
    /// The number's text in `line` (without its line ending): the whole
    /// line, or the CSV column (unquoted, blanks around it removed; empty
    /// when the line has no such column). `None` for the CSV header.
    pub fn number<'a>(&'a mut self, line: &'a [u8]) -> Option<&'a [u8]> {
        let layout = match self.layout {
            Some(l) => l,
            None => {
                let l = Layout::detect(line);
                self.layout = Some(l);
                if l.is_csv() {
                    return None;
                }
                l
            }
        };
        match layout {
            Layout::Lines => Some(line),
            Layout::Csv { delimiter, column } => {
                self.csv.read(line, delimiter);
                Some(self.csv.field(column).map_or(&b""[..], unquoted))
            }
        }
    }
}

/// The register that reserved a number, in the order they are checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, strum::IntoStaticStr)]
#[strum(serialize_all = "kebab-case")]
pub enum Register {
    /// The centre's own register (norm 10: always applies).
    Internal,
    /// The campaign's client's register.
    Client,
    /// The national reservation register (Reservasjonsregisteret).
    National,
}

/// The registers a wash reads (cheap to clone: the sets are shared).
#[derive(Clone)]
pub struct Registers {
    pub centre: Arc<KeySet>,
    /// The campaign's client's own register, when a campaign is given.
    pub client: Option<Arc<KeySet>>,
    /// Numbers with a recently abandoned call.
    pub abandoned: Arc<KeySet>,
    /// The national register's copy, when it applies to this wash.
    pub national: Option<Arc<NationalCopy>>,
    /// The internal and client registers' version counter when read.
    pub version: i64,
}

impl Registers {
    pub fn verdict(&self, key: Option<u64>) -> Verdict {
        self.verdict_detail(key).0
    }

    /// The verdict and the first register that reserved the number.
    pub fn verdict_detail(&self, key: Option<u64>) -> (Verdict, Option<Register>) {
        let Some(k) = key else {
            return (Verdict::Invalid, None);
        };
        let register = if self.centre.contains(k) {
            Some(Register::Internal)
        } else if self.client.as_ref().is_some_and(|c| c.contains(k)) {
            Some(Register::Client)
        } else if self.national.as_ref().is_some_and(|n| n.set.contains(k)) {
            Some(Register::National)
        } else {
            None
        };
        if register.is_some() {
            (Verdict::Reserved, register)
        } else if self.abandoned.contains(k) {
            (Verdict::AgentRequired, None)
        } else {
            (Verdict::Callable, None)
        }
    }
}

/// Numbers reserved, per register that reserved them first.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReservedCounts {
    pub internal: u64,
    pub client: u64,
    pub national: u64,
}

/// Longest line kept; the rest of a longer line is dropped (the line is
/// still reported, as invalid).
const MAX_LINE: usize = 1024;

/// Lines read and parsed, waiting for their lookups: up to [`LANES`] are
/// looked up side by side, then written out in input order.
#[derive(Default)]
struct Pending {
    /// Each line's number text, one after another.
    text: Vec<u8>,
    /// Where each line's text ends in `text`.
    ends: Vec<usize>,
    /// Each line's number as an [`e164_key`](crate::domain::phone::e164_key); 0 for no number.
    keys: Vec<u64>,
}

/// The wash as a byte-stream transformer: feed input chunks, collect output.
pub struct Washer {
    registers: Registers,
    only_callable: bool,
    /// A fourth column `register` naming the register that reserved.
    detail: bool,
    reader: ListReader,
    partial: Vec<u8>,
    pending: Pending,
    pub count_in: u64,
    pub count_callable: u64,
    pub reserved: ReservedCounts,
}

impl Washer {
    /// `only_callable`: output just callable E.164 numbers, one per line;
    /// otherwise CSV `number,e164,verdict` with a header.
    pub fn new(registers: Registers, only_callable: bool, out: &mut Vec<u8>) -> Washer {
        Washer::with_detail(registers, only_callable, false, out)
    }

    /// As [`Washer::new`]; `detail` adds the column `register` (`internal`,
    /// `client`, `national`, or empty) to the CSV.
    pub fn with_detail(
        registers: Registers,
        only_callable: bool,
        detail: bool,
        out: &mut Vec<u8>,
    ) -> Washer {
        if !only_callable {
            out.extend_from_slice(if detail {
                b"number,e164,verdict,register\n".as_slice()
            } else {
                b"number,e164,verdict\n".as_slice()
            });
        }
        Washer {
            registers,
            only_callable,
            detail,
            reader: ListReader::default(),
            partial: Vec::with_capacity(MAX_LINE),
            pending: Pending {
                text: Vec::with_capacity(LANES * 16),
                ends: Vec::with_capacity(LANES),
                keys: Vec::with_capacity(LANES),
            },
            count_in: 0,
            count_callable: 0,
            reserved: ReservedCounts::default(),
        }
    }

    /// The registers this wash reads.
    pub fn registers(&self) -> &Registers {
        &self.registers
    }

    /// Washes the complete lines in `chunk` (a line may end in a later
    /// chunk). The verdicts of the last few lines may wait for the next
    /// call or [`Washer::finish`].
    pub fn feed(&mut self, chunk: &[u8], out: &mut Vec<u8>) {
        let mut start = 0;
        // Line endings found by memchr (SIMD, a chunk at a time): a byte
        // loop per line was a fifth of the wash's time.
        for nl in memchr::memchr_iter(b'\n', chunk) {
            let piece = &chunk[start..nl];
            start = nl + 1;
            if self.partial.is_empty() {
                self.line(piece, out);
            } else {
                let room = MAX_LINE.saturating_sub(self.partial.len());
                self.partial
                    .extend_from_slice(&piece[..piece.len().min(room)]);
                let line = std::mem::take(&mut self.partial);
                self.line(&line, out);
                self.partial = line;
                self.partial.clear();
            }
        }
        let rest = &chunk[start..];
        let room = MAX_LINE.saturating_sub(self.partial.len());
        self.partial
            .extend_from_slice(&rest[..rest.len().min(room)]);
    }

    /// As [`Washer::feed`], with a large chunk's lines washed on two
    /// threads: the second half of its lines by a fork of this washer
    /// (same registers, same layout). Their verdicts are returned, to go
    /// after everything in `out` (not copied onto it: a wash's answer is
    /// three times its list); `out`, then the returned bytes, are byte for
    /// byte what [`Washer::feed`] gives. Blocks for the chunk's work: call
    /// it off the async workers.
    #[must_use = "the second half's verdicts go after `out`"]
    pub fn feed_parallel(&mut self, mut chunk: &[u8], out: &mut Vec<u8>) -> Vec<u8> {
        // Below this the second thread costs more than it saves.
        const PARALLEL_MIN: usize = 256 * 1024;
        if chunk.len() < PARALLEL_MIN {
            self.feed(chunk, out);
            return Vec::new();
        }
        if self.reader.layout.is_none() {
            // The first line decides the layout (a header or a number)
            // the fork must know: it is read alone first.
            let Some(nl) = memchr::memchr(b'\n', chunk) else {
                self.feed(chunk, out);
                return Vec::new();
            };
            self.feed(&chunk[..=nl], out);
            chunk = &chunk[nl + 1..];
        }
        let Some(last) = memchr::memrchr(b'\n', chunk) else {
            self.feed(chunk, out);
            return Vec::new();
        };
        // A line ending after the middle and before the last one: none when
        // the chunk ends in one long line.
        let mid = chunk.len() / 2;
        let Some(split) = chunk
            .get(mid..last)
            .and_then(|after_mid| memchr::memchr(b'\n', after_mid))
            .map(|i| mid + i + 1)
        else {
            self.feed(chunk, out);
            return Vec::new();
        };
        // [..split) ends a line: this washer; [split..=last] whole lines:
        // the fork; the rest is the start of a line still coming.
        let (first, second, rest) = (&chunk[..split], &chunk[split..=last], &chunk[last + 1..]);
        let mut fork = Washer {
            registers: self.registers.clone(),
            only_callable: self.only_callable,
            detail: self.detail,
            reader: ListReader {
                layout: self.reader.layout,
                csv: CsvLine::default(),
            },
            partial: Vec::new(),
            pending: Pending::default(),
            count_in: 0,
            count_callable: 0,
            reserved: ReservedCounts::default(),
        };
        let mut fork_out = Vec::with_capacity(second.len() * 3);
        std::thread::scope(|scope| {
            let other = scope.spawn(|| {
                fork.feed(second, &mut fork_out);
                fork.flush(&mut fork_out);
            });
            self.feed(first, out);
            self.flush(out);
            if let Err(panic) = other.join() {
                std::panic::resume_unwind(panic);
            }
        });
        self.count_in += fork.count_in;
        self.count_callable += fork.count_callable;
        self.reserved.internal += fork.reserved.internal;
        self.reserved.client += fork.reserved.client;
        self.reserved.national += fork.reserved.national;
        // No line ending in `rest`: it only starts the next line, and
        // writes nothing.
        self.feed(rest, out);
        fork_out
    }

    /// Ends the input: a last line without a line ending counts too.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        if !self.partial.is_empty() {
            let line = std::mem::take(&mut self.partial);
            self.line(&line, out);
        }
        self.flush(out);
    }

    fn line(&mut self, line: &[u8], out: &mut Vec<u8>) {
        // Cut first, then trim: a line that arrived in pieces was cut at
        // MAX_LINE as it came, and must give the same field as a whole one.
        let line = trim_line(&line[..line.len().min(MAX_LINE)]);
        let Some(text) = self.reader.number(line) else {
            return;
        };
        let p = &mut self.pending;
        p.keys.push(parse_key_bytes(text).unwrap_or(0));
        p.text.extend_from_slice(text);
        p.ends.push(p.text.len());
        if p.keys.len() == LANES {
            self.flush(out);
        }
    }

    /// Looks up the pending lines side by side and writes their verdicts.
    fn flush(&mut self, out: &mut Vec<u8>) {
        let n = self.pending.keys.len();
        if n == 0 {
            return;
        }
        let keys = &self.pending.keys;
        let mut centre = [false; LANES];
        self.registers.centre.contains_each(keys, &mut centre);
        let mut national = [false; LANES];
        if let Some(copy) = &self.registers.national {
            copy.set.contains_each(keys, &mut national);
        }
        let mut start = 0;
        for i in 0..n {
            let end = self.pending.ends[i];
            let text = &self.pending.text[start..end];
            start = end;
            let key = (keys[i] != 0).then_some(keys[i]);
            let register = match key {
                None => None,
                Some(_) if centre[i] => Some(Register::Internal),
                Some(k)
                    if self
                        .registers
                        .client
                        .as_ref()
                        .is_some_and(|c| c.contains(k)) =>
                {
                    Some(Register::Client)
                }
                Some(_) if national[i] => Some(Register::National),
                Some(_) => None,
            };
            let verdict = match (key, register) {
                (None, _) => Verdict::Invalid,
                (Some(_), Some(_)) => Verdict::Reserved,
                (Some(k), None) if self.registers.abandoned.contains(k) => Verdict::AgentRequired,
                (Some(_), None) => Verdict::Callable,
            };
            self.count_in += 1;
            match register {
                Some(Register::Internal) => self.reserved.internal += 1,
                Some(Register::Client) => self.reserved.client += 1,
                Some(Register::National) => self.reserved.national += 1,
                None => {}
            }
            if verdict == Verdict::Callable {
                self.count_callable += 1;
            }
            if self.only_callable {
                if let (Verdict::Callable, Some(k)) = (verdict, key) {
                    let mut buf = [0u8; 24];
                    let len = put_key(k, &mut buf);
                    buf[len] = b'\n';
                    out.extend_from_slice(&buf[..=len]);
                }
                continue;
            }
            let register = if self.detail {
                Some(register.map_or("", |r| r.into()))
            } else {
                None
            };
            write_verdict_line(text, key, verdict, register, out);
        }
        self.pending.keys.clear();
        self.pending.ends.clear();
        self.pending.text.clear();
    }
}

/// Longest number text the one-copy path of [`write_verdict_line`] takes.
const SHORT_TEXT: usize = 32;

/// Verdict lines up to this long are copied as a block of this size.
const LINE_COPY: usize = 64;

/// Writes `text,e164,verdict[,register]\n`: for the common short line
/// that needs no quoting, put together on the stack and copied once.
fn write_verdict_line(
    text: &[u8],
    key: Option<u64>,
    verdict: Verdict,
    register: Option<&'static str>,
    out: &mut Vec<u8>,
) {
    let verdict = verdict.as_str().as_bytes();
    let plain =
        text.len() <= SHORT_TEXT && !needs_quotes(text) && !(key.is_none() && starts_formula(text));
    if plain {
        // Slices copied whole (one memcpy each), then the line once.
        let mut buf = [0u8; SHORT_TEXT + 64];
        let mut i = text.len();
        buf[..i].copy_from_slice(text);
        buf[i] = b',';
        i += 1;
        if let Some(k) = key {
            i += put_key(k, &mut buf[i..]);
        }
        buf[i] = b',';
        i += 1;
        buf[i..i + verdict.len()].copy_from_slice(verdict);
        i += verdict.len();
        if let Some(r) = register {
            buf[i] = b',';
            i += 1;
            buf[i..i + r.len()].copy_from_slice(r.as_bytes());
            i += r.len();
        }
        buf[i] = b'\n';
        let len = i + 1;
        if len <= LINE_COPY {
            // A copy of a fixed length is a few vector moves, not a call
            // to memcpy; the bytes past the line are cut off again.
            let at = out.len();
            out.extend_from_slice(&buf[..LINE_COPY]);
            out.truncate(at + len);
        } else {
            out.extend_from_slice(&buf[..len]);
        }
        return;
    }
    if key.is_none() && starts_formula(text) {
        // Echoed input a spreadsheet would run as a formula (CSV
        // injection): neutralised as the statistics CSV does.
        let mut safe = Vec::with_capacity(text.len() + 1);
        safe.push(b'\'');
        safe.extend_from_slice(text);
        write_csv_field(&safe, out);
    } else {
        write_csv_field(text, out);
    }
    out.push(b',');
    if let Some(k) = key {
        let mut buf = [0u8; 24];
        let len = put_key(k, &mut buf);
        out.extend_from_slice(&buf[..len]);
    }
    out.push(b',');
    out.extend_from_slice(verdict);
    if let Some(r) = register {
        out.push(b',');
        out.extend_from_slice(r.as_bytes());
    }
    out.push(b'\n');
}

/// Two decimal digits for each of 0..100.
const DIGIT_PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// Writes `+` and the key's digits (the E.164 form) at the start of `buf`
/// (at least 17 bytes); returns how many bytes. No `fmt` on the hot path.
fn put_key(key: u64, buf: &mut [u8]) -> usize {
    // Most keys are Norwegian: `+47` and eight digits, in four pairs.
    if (4_700_000_000..4_800_000_000).contains(&key) {
        let national = (key - 4_700_000_000) as u32;
        let (high, low) = ((national / 10_000) as usize, (national % 10_000) as usize);
        let pairs = [high / 100, high % 100, low / 100, low % 100];
        buf[..3].copy_from_slice(b"+47");
        for (i, p) in pairs.into_iter().enumerate() {
            buf[3 + 2 * i] = DIGIT_PAIRS[p * 2];
            buf[4 + 2 * i] = DIGIT_PAIRS[p * 2 + 1];
        }
        return 11;
    }
    // The digits written in place from the last, two at a time.
    let n = key.checked_ilog10().map_or(1, |l| l as usize + 1);
    buf[0] = b'+';
    let mut i = n + 1;
    let mut k = key;
    while k >= 100 {
        let d = (k % 100) as usize * 2;
        k /= 100;
        i -= 2;
        buf[i] = DIGIT_PAIRS[d];
        buf[i + 1] = DIGIT_PAIRS[d + 1];
    }
    if k >= 10 {
        let d = k as usize * 2;
        buf[1] = DIGIT_PAIRS[d];
        buf[2] = DIGIT_PAIRS[d + 1];
    } else {
        buf[1] = b'0' + k as u8;
    }
    n + 1
}

fn needs_quotes(f: &[u8]) -> bool {
    f.iter().any(|&c| matches!(c, b',' | b'"' | b'\r' | b'\n'))
        || f.first().is_some_and(u8::is_ascii_whitespace)
        || f.last().is_some_and(u8::is_ascii_whitespace)
}

fn write_csv_field(f: &[u8], out: &mut Vec<u8>) {
    if !needs_quotes(f) {
        out.extend_from_slice(f);
        return;
    }
    out.push(b'"');
    for &c in f {
        if c == b'"' {
            out.push(b'"');
        }
        out.push(c);
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn regs() -> Registers {
        Registers {
            centre: Arc::new(KeySet::from_keys(vec![4_791_234_567])),
            client: None,
            abandoned: Arc::new(KeySet::from_keys(vec![4_741_234_567])),
            national: None,
            version: 0,
        }
    }

    fn wash(input: &str, chunk: usize, only: bool) -> String {
        let mut out = Vec::new();
        let mut w = Washer::new(regs(), only, &mut out);
        for c in input.as_bytes().chunks(chunk) {
            w.feed(c, &mut out);
        }
        w.finish(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn verdicts_in_input_order_whatever_the_chunking() {
        let input = "912 34 567\r\nhello\n+47 412 34 567\n22 33 44 55\n\n+46 8 123 456 78";
        let expected = "number,e164,verdict\n\
                        912 34 567,+4791234567,reserved\n\
                        hello,,invalid\n\
                        +47 412 34 567,+4741234567,agent-required\n\
                        22 33 44 55,+4722334455,callable\n\
                        ,,invalid\n\
                        +46 8 123 456 78,+46812345678,callable\n";
        for chunk in [1, 2, 3, 7, 1000] {
            assert_eq!(wash(input, chunk, false), expected, "chunk {chunk}");
        }
        assert_eq!(wash(input, 5, true), "+4722334455\n+46812345678\n");
    }

    #[test]
    fn formulas_in_echoed_invalid_lines_are_neutralised() {
        let input = "=HYPERLINK(\"http://x\")\n+1+2\n-3\n@SUM(A1)\n+47 912 34 567\n";
        assert_eq!(
            wash(input, 3, false),
            "number,e164,verdict\n\
             \"'=HYPERLINK(\"\"http://x\"\")\",,invalid\n\
             '+1+2,,invalid\n\
             '-3,,invalid\n\
             '@SUM(A1),,invalid\n\
             +47 912 34 567,+4791234567,reserved\n"
        );
    }

    #[test]
    fn a_long_line_gives_the_same_verdict_whole_or_in_pieces() {
        let mut long = "x".repeat(MAX_LINE - 1);
        long.push('\r');
        long.push_str("yyy\r\n22334455\n");
        let whole = wash(&long, 100_000, false);
        for chunk in [1, 7, 512, 1023, 1024, 1025] {
            assert_eq!(wash(&long, chunk, false), whole, "chunk {chunk}");
        }
    }

    #[test]
    fn a_csv_header_names_the_number_column() {
        let input = "name;\"Number\";city\nOla;912 34 567;Oslo\nKari;\"22 33, 44 55\";Bergen\n";
        assert_eq!(
            wash(input, 4, false),
            "number,e164,verdict\n912 34 567,+4791234567,reserved\n\"22 33, 44 55\",,invalid\n"
        );
    }

    #[test]
    fn csv_fields_are_read_as_csv_quotes_doubled_quotes_and_all() {
        // The number in the second column; the first holds the delimiter in
        // quotes, doubled quotes, or a lone quote inside an unquoted field
        // (which CSV reads as text, not as the start of a quoted field).
        let input = "name,number,city\n\
                     \"Nordmann, Ola\",912 34 567,Oslo\n\
                     \"Ola \"\"Bestemor\"\" N\",\"+47 22 33 44 55\",Bergen\n\
                     O\"Brien,41234567,Cork\n\
                     5\" skjerm;,22334455,x\n\
                     Kari,\"\"\"912 34 567\"\"\",Troms\u{f8}\n\
                     Per,\"22 33, 44 55\",Bod\u{f8}\n";
        let expected = "number,e164,verdict\n\
                        912 34 567,+4791234567,reserved\n\
                        +47 22 33 44 55,+4722334455,callable\n\
                        41234567,+4741234567,agent-required\n\
                        22334455,+4722334455,callable\n\
                        912 34 567,+4791234567,reserved\n\
                        \"22 33, 44 55\",,invalid\n";
        for chunk in [1, 2, 5, 1000] {
            assert_eq!(wash(input, chunk, false), expected, "chunk {chunk}");
        }
    }

    #[test]
    fn a_header_after_a_byte_order_mark_is_a_header() {
        // Excel's "CSV UTF-8" starts with a byte order mark.
        let input = "\u{feff}Nummer;Navn\n912 34 567;Ola\n";
        assert_eq!(
            wash(input, 3, false),
            "number,e164,verdict\n912 34 567,+4791234567,reserved\n"
        );
    }

    /// A list of `lines` lines of the written forms a wash meets, some
    /// reserved, some abandoned, some not numbers, some long.
    fn big_list(lines: usize, seed: u64, header: Option<&str>) -> Vec<u8> {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let mut input = Vec::new();
        if let Some(h) = header {
            input.extend_from_slice(h.as_bytes());
        }
        for _ in 0..lines {
            let line = match rng.random_range(0..10) {
                0 => "912 34 567".to_string(),
                1 => "+47 412 34 567\r".to_string(),
                2 => "ikke et nummer, \"sitert\"".to_string(),
                3 => "9".repeat(rng.random_range(30..1200)),
                4 => format!("x;{};y", rng.random_range(40_000_000..50_000_000)),
                5 => "z;912 34 567;z".to_string(),
                _ => format!("{}", rng.random_range(90_000_000..99_999_999)),
            };
            input.extend_from_slice(line.as_bytes());
            input.push(b'\n');
        }
        input
    }

    #[test]
    fn two_threads_give_byte_for_byte_the_answer_and_counts_of_one() {
        for (seed, header, only, detail) in [
            (1, None, false, false),
            (2, Some("x;number;y\n"), false, true),
            (3, None, true, false),
            (4, Some("number\n"), false, false),
            (5, None, false, false),
        ] {
            let mut input = big_list(120_000, seed, header);
            if seed == 5 {
                // Lines of hundreds of kilobytes from a stranger: a chunk
                // may end in one, or hold nothing but one.
                for at in [200_000, 700_000, input.len()] {
                    let long = vec![b'7'; 700 * 1024];
                    input.splice(at..at, long);
                }
            }
            // Pieces as a socket gives them, and one line longer than a
            // piece's second half can hold, cut anywhere.
            let run = |parallel: bool, piece: usize| {
                let mut out = Vec::new();
                let mut w = Washer::with_detail(regs(), only, detail, &mut out);
                for c in input.chunks(piece) {
                    if parallel {
                        let second = w.feed_parallel(c, &mut out);
                        out.extend_from_slice(&second);
                    } else {
                        w.feed(c, &mut out);
                    }
                }
                w.finish(&mut out);
                (out, w.count_in, w.count_callable, w.reserved)
            };
            let one = run(false, 4096);
            for piece in [300 * 1024, 1024 * 1024 + 7, 2 * 1024 * 1024, usize::MAX] {
                let two = run(true, piece);
                assert!(one.0 == two.0, "seed {seed}, piece {piece}: answers differ");
                assert_eq!((one.1, one.2, one.3), (two.1, two.2, two.3), "seed {seed}");
            }
            assert!(one.1 >= 120_000 - 1 && one.2 > 0 && one.3.internal > 0);
        }
    }

    #[test]
    fn any_bytes_give_one_line_per_input_line_whatever_the_chunking() {
        // What the fuzz target `wash_lines` checks, over seeded inputs made
        // of the bytes that matter to the CSV reader.
        use rand::{Rng, SeedableRng};
        let alphabet = b"0123456789 ,;\t\"\r\n=+-@aNnumberUMBER\xef\xbb\xbf";
        let mut rng = rand::rngs::StdRng::seed_from_u64(16);
        for round in 0..1500 {
            let len = rng.random_range(0..120);
            let mut input: Vec<u8> = (0..len)
                .map(|_| alphabet[rng.random_range(0..alphabet.len())])
                .collect();
            if round % 3 == 0 {
                input.splice(0..0, b"x;number;y\n".iter().copied());
            }
            let run = |chunk: usize| {
                let mut out = Vec::new();
                let mut w = Washer::new(regs(), false, &mut out);
                for c in input.chunks(chunk) {
                    w.feed(c, &mut out);
                }
                w.finish(&mut out);
                (out, w.count_in)
            };
            let (whole, n) = run(usize::MAX);
            let (pieces, m) = run(rng.random_range(1..8));
            assert_eq!(whole, pieces, "input {input:?}");
            assert_eq!(n, m);
            let lines = whole.iter().filter(|&&c| c == b'\n').count() as u64;
            assert_eq!(lines, n + 1, "input {input:?}");
        }
    }

    #[test]
    fn keys_are_written_in_e164_digit_for_digit() {
        for k in [
            1u64,
            9,
            10,
            99,
            100,
            101,
            4_791_234_567,
            4_700_000_000,
            46_812_345_678,
            999_999_999_999_999,
            4_799_999_999,
            4_800_000_000,
            4_699_999_999,
            4_700_010_203,
        ]
        .into_iter()
        .chain((0..100_000u64).map(|i| 4_700_000_000 + i * 999_983 % 100_000_000))
        {
            let mut buf = [0u8; 24];
            let n = put_key(k, &mut buf);
            assert_eq!(std::str::from_utf8(&buf[..n]).unwrap(), format!("+{k}"));
        }
    }

    #[test]
    fn long_and_quoted_texts_are_echoed_as_csv_fields() {
        let long = format!("{}12345678", " ".repeat(40));
        let input = format!("{long}\n\"912 34 567\"\n 912 34 567\n");
        let expected = format!(
            "number,e164,verdict\n\"{long}\",,invalid\n\"\"\"912 34 567\"\"\",,invalid\n\" 912 34 567\",+4791234567,reserved\n"
        );
        for chunk in [1, 7, 1000] {
            assert_eq!(wash(&input, chunk, false), expected, "chunk {chunk}");
        }
    }

    #[test]
    fn detail_names_the_first_register_that_reserved_in_order() {
        use crate::domain::dialer::national::NationalSet;
        let national = NationalCopy {
            version: entity::national_register_version::Model {
                id: 1,
                extract_date: chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
                imported_at: chrono::DateTime::UNIX_EPOCH,
                imported_by: String::new(),
                count: 3,
                invalid_lines: 0,
                checksum: String::new(),
                state: "current".into(),
            },
            set: NationalSet::from_numbers(vec![91_234_567, 22_334_455, 93_000_000]),
        };
        let r = Registers {
            centre: Arc::new(KeySet::from_keys(vec![4_791_234_567])),
            client: Some(Arc::new(KeySet::from_keys(vec![4_722_334_455]))),
            abandoned: Arc::default(),
            national: Some(Arc::new(national)),
            version: 0,
        };
        let mut out = Vec::new();
        let mut w = Washer::with_detail(r, false, true, &mut out);
        w.feed(b"91234567\n22334455\n93000000\n40000000\nx\n", &mut out);
        w.finish(&mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "number,e164,verdict,register\n\
             91234567,+4791234567,reserved,internal\n\
             22334455,+4722334455,reserved,client\n\
             93000000,+4793000000,reserved,national\n\
             40000000,+4740000000,callable,\n\
             x,,invalid,\n"
        );
        assert_eq!(
            w.reserved,
            ReservedCounts {
                internal: 1,
                client: 1,
                national: 1
            }
        );
    }
}

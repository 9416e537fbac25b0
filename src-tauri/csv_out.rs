//! CSV as Linkdesk writes it (the RTL export and the audit log export):
//! RFC 4180 through the `csv` crate, CRLF line ends, and every cell guarded
//! against spreadsheet formulas — a value a spreadsheet would run as a
//! formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage return)
//! gets a leading single quote.

use std::borrow::Cow;
use std::io::Write;

/// A CSV writer over `out`; rows go through `write_row`.
pub struct CsvOut<W: Write> {
    inner: csv::Writer<W>,
}

impl<W: Write> CsvOut<W> {
    pub fn new(out: W) -> Self {
        Self {
            inner: csv::WriterBuilder::new()
                .terminator(csv::Terminator::CRLF)
                .from_writer(out),
        }
    }

    /// One record, each cell guarded.
    pub fn write_row<S: AsRef<str>>(
        &mut self,
        cells: impl IntoIterator<Item = S>,
    ) -> std::io::Result<()> {
        self.inner
            .write_record(cells.into_iter().map(|c| guard(c.as_ref()).into_owned()))
            .map_err(std::io::Error::from)
    }

    pub fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// The formula guard alone.
pub fn guard(value: &str) -> Cow<'_, str> {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{value}"))
    } else {
        Cow::Borrowed(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One cell as it is written in a row of two (so no rule for a lone
    /// empty field applies).
    fn cell(value: &str) -> String {
        let mut out = CsvOut::new(Vec::new());
        out.write_row([value, "x"]).unwrap();
        out.flush().unwrap();
        drop(out.inner.flush());
        let text = String::from_utf8(out.inner.into_inner().unwrap()).unwrap();
        text.strip_suffix(",x\r\n").unwrap().to_string()
    }

    #[test]
    fn cells_are_quoted_and_guarded() {
        assert_eq!(cell("plain"), "plain");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("=1+1"), "'=1+1");
        assert_eq!(cell("-2"), "'-2");
        assert_eq!(cell("@x,y"), "\"'@x,y\"");
        assert_eq!(cell("line\nbreak"), "\"line\nbreak\"");
        assert_eq!(cell("\rx"), "\"'\rx\"");
        assert_eq!(cell("a\"b"), "\"a\"\"b\"");
    }
}

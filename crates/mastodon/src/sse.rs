//! A bounded parser for server-sent events (the `text/event-stream` format of the streaming
//! API): bytes in as they arrive, whole events out. Memory stays bounded whatever the server
//! sends: an event larger than the limit is discarded up to its end and reported as such.

/// What the parser yields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SseItem {
    /// A complete event with data.
    Event {
        /// The `event:` field (`update`, `delete`…), or `message` when absent.
        name: String,
        /// The `data:` lines, joined with `\n`.
        data: String,
    },
    /// An event that exceeded the size limit, discarded.
    Oversized,
}

/// The longest event name kept, in bytes; longer names are cut.
const MAX_NAME_BYTES: usize = 64;

/// Incremental server-sent-events parser. Lines end with `\n`, `\r\n` or `\r`; lines starting
/// with `:` are comments (Mastodon's `:)` greeting and `:thump` heartbeats); a blank line ends
/// an event; fields other than `event` and `data` are ignored.
#[derive(Debug)]
pub struct SseParser {
    max_event_bytes: usize,
    line: Vec<u8>,
    line_too_long: bool,
    after_cr: bool,
    name: String,
    data: String,
    has_data: bool,
    oversized: bool,
}

impl SseParser {
    /// A parser that refuses events whose data exceeds `max_event_bytes`.
    pub fn new(max_event_bytes: usize) -> SseParser {
        SseParser {
            max_event_bytes,
            line: Vec::new(),
            line_too_long: false,
            after_cr: false,
            name: String::new(),
            data: String::new(),
            has_data: false,
            oversized: false,
        }
    }

    /// Feeds the next bytes of the stream, appending the events they complete to `out`.
    pub fn push(&mut self, mut bytes: &[u8], out: &mut Vec<SseItem>) {
        if self.after_cr {
            self.after_cr = false;
            if let Some(rest) = bytes.strip_prefix(b"\n") {
                bytes = rest;
            }
        }
        while !bytes.is_empty() {
            match bytes.iter().position(|&b| b == b'\n' || b == b'\r') {
                Some(end) => {
                    self.take(&bytes[..end]);
                    let cr = bytes[end] == b'\r';
                    bytes = &bytes[end + 1..];
                    if cr {
                        match bytes.first() {
                            Some(b'\n') => bytes = &bytes[1..],
                            Some(_) => {}
                            None => self.after_cr = true,
                        }
                    }
                    self.end_line(out);
                }
                None => {
                    self.take(bytes);
                    bytes = &[];
                }
            }
        }
    }

    fn take(&mut self, bytes: &[u8]) {
        // A line may hold the field name and a separator on top of the data.
        let room = (self.max_event_bytes + 16).saturating_sub(self.line.len());
        if bytes.len() > room {
            self.line_too_long = true;
        } else if !self.line_too_long {
            self.line.extend_from_slice(bytes);
        }
    }

    fn end_line(&mut self, out: &mut Vec<SseItem>) {
        let too_long = std::mem::take(&mut self.line_too_long);
        let line = std::mem::take(&mut self.line);
        if too_long {
            self.oversized = true;
            return;
        }
        if line.is_empty() {
            self.dispatch(out);
            return;
        }
        if line[0] == b':' {
            return;
        }
        let (field, value) = match line.iter().position(|&b| b == b':') {
            Some(colon) => {
                let value = &line[colon + 1..];
                (&line[..colon], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (&line[..], &[][..]),
        };
        let value = String::from_utf8_lossy(value);
        match field {
            b"event" => self.name = crate::status::cut(&value, MAX_NAME_BYTES).to_owned(),
            b"data" => {
                if self.data.len() + value.len() + 1 > self.max_event_bytes {
                    self.oversized = true;
                } else if !self.oversized {
                    if self.has_data {
                        self.data.push('\n');
                    }
                    self.data.push_str(&value);
                    self.has_data = true;
                }
            }
            _ => {}
        }
        // Reuse the line's allocation for the next one.
        self.line = line;
        self.line.clear();
    }

    fn dispatch(&mut self, out: &mut Vec<SseItem>) {
        let name = std::mem::take(&mut self.name);
        let data = std::mem::take(&mut self.data);
        if std::mem::take(&mut self.oversized) {
            out.push(SseItem::Oversized);
        } else if std::mem::take(&mut self.has_data) {
            let name = if name.is_empty() { "message".to_owned() } else { name };
            out.push(SseItem::Event { name, data });
        }
        self.has_data = false;
        if self.data.capacity() > 64 * 1024 {
            self.data = String::new();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_in_chunks(bytes: &[u8], chunk: usize, max: usize) -> Vec<SseItem> {
        let mut parser = SseParser::new(max);
        let mut out = Vec::new();
        for piece in bytes.chunks(chunk) {
            parser.push(piece, &mut out);
        }
        out
    }

    #[test]
    fn the_recorded_streams_parse_the_same_in_any_chunking() {
        let public = include_bytes!("../tests/data/public_local.sse");
        let whole = parse_in_chunks(public, public.len(), 1 << 20);
        let names: Vec<&str> = whole
            .iter()
            .map(|e| match e {
                SseItem::Event { name, .. } => name.as_str(),
                SseItem::Oversized => "oversized",
            })
            .collect();
        assert_eq!(names, ["update", "update"]);
        for chunk in [1, 2, 3, 7, 100] {
            assert_eq!(parse_in_chunks(public, chunk, 1 << 20), whole, "chunks of {chunk}");
        }
        let ids: Vec<String> = whole
            .iter()
            .map(|e| match e {
                SseItem::Event { data, .. } => {
                    crate::parse_status(data, "localhost:3000").unwrap().id().to_string()
                }
                SseItem::Oversized => unreachable!(),
            })
            .collect();
        assert_eq!(ids, ["117446908383047908", "117446908388641599"]);

        let user = include_bytes!("../tests/data/user.sse");
        let events = parse_in_chunks(user, 5, 1 << 20);
        let names: Vec<&str> = events
            .iter()
            .map(|e| match e {
                SseItem::Event { name, .. } => name.as_str(),
                SseItem::Oversized => "oversized",
            })
            .collect();
        assert_eq!(names, ["update", "notification", "update", "notification", "status.update", "delete"]);
        assert_eq!(
            events.last(),
            Some(&SseItem::Event { name: "delete".into(), data: "117440836281096378".into() })
        );
    }

    #[test]
    fn line_endings_multiline_data_and_comments_follow_the_format() {
        let text =
            b":)\r\nevent: update\r\ndata: a\rdata:b\n\n:thump\n\nid: 3\nretry: 10\ndata\n\nevent: x\n\n";
        for chunk in [1, 2, text.len()] {
            assert_eq!(
                parse_in_chunks(text, chunk, 100),
                [
                    SseItem::Event { name: "update".into(), data: "a\nb".into() },
                    SseItem::Event { name: "message".into(), data: String::new() },
                ],
                "chunks of {chunk}"
            );
        }
    }

    #[test]
    fn an_oversized_event_is_skipped_whole_and_the_next_one_parses() {
        let mut text = b"event: update\ndata: ".to_vec();
        text.extend(std::iter::repeat_n(b'x', 1_000));
        text.extend(b"\n\nevent: update\ndata: ok\n\nevent: update\ndata: 12345\ndata: 12345\n\n");
        for chunk in [1, 64, text.len()] {
            assert_eq!(
                parse_in_chunks(&text, chunk, 10),
                [
                    SseItem::Oversized,
                    SseItem::Event { name: "update".into(), data: "ok".into() },
                    SseItem::Oversized,
                ],
                "chunks of {chunk}"
            );
        }
        // Bounded memory: a line that never ends is not kept.
        let mut parser = SseParser::new(10);
        let mut out = Vec::new();
        for _ in 0..1_000 {
            parser.push(&[b'y'; 1_000], &mut out);
        }
        assert!(parser.line.len() <= 26 && out.is_empty());
        parser.push(b"\n\n", &mut out);
        assert_eq!(out, [SseItem::Oversized]);
    }
}

//! A `multipart/form-data` body (RFC 7578), enough for a media upload: text fields and one file.

use std::fmt::Write as _;

/// A form being written.
#[derive(Debug)]
pub(crate) struct Form {
    boundary: String,
    body: Vec<u8>,
}

impl Form {
    /// An empty form with a random boundary.
    pub(crate) fn new() -> Form {
        let mut boundary = String::from("tutti-");
        for _ in 0..4 {
            let _ = write!(boundary, "{:016x}", rand::random::<u64>());
        }
        Form { boundary, body: Vec::new() }
    }

    /// The `Content-Type` header of the body.
    pub(crate) fn content_type(&self) -> String {
        format!("multipart/form-data; boundary={}", self.boundary)
    }

    fn part_header(&mut self, disposition: &str, content_type: Option<&str>) {
        self.body.extend_from_slice(b"--");
        self.body.extend_from_slice(self.boundary.as_bytes());
        self.body.extend_from_slice(b"\r\nContent-Disposition: form-data; ");
        self.body.extend_from_slice(disposition.as_bytes());
        if let Some(content_type) = content_type {
            self.body.extend_from_slice(b"\r\nContent-Type: ");
            self.body.extend_from_slice(content_type.as_bytes());
        }
        self.body.extend_from_slice(b"\r\n\r\n");
    }

    /// Adds a text field. `name` is one of the client's own ASCII field names.
    pub(crate) fn text(&mut self, name: &str, value: &str) {
        self.part_header(&format!("name=\"{name}\""), None);
        self.body.extend_from_slice(value.as_bytes());
        self.body.extend_from_slice(b"\r\n");
    }

    /// Adds a file. The file name is reduced to ASCII letters, digits, `.`, `-` and `_` and
    /// the media type to the characters a media type has, so that neither can break the
    /// header.
    pub(crate) fn file(&mut self, name: &str, file_name: &str, content_type: &str, bytes: &[u8]) {
        let file_name: String = file_name
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
            .take(100)
            .collect();
        let file_name = if file_name.trim_matches('.').is_empty() { "upload".to_owned() } else { file_name };
        let content_type: String = content_type
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '+' | '-'))
            .take(100)
            .collect();
        self.part_header(&format!("name=\"{name}\"; filename=\"{file_name}\""), Some(&content_type));
        self.body.extend_from_slice(bytes);
        self.body.extend_from_slice(b"\r\n");
    }

    /// The finished body. A field or file containing the boundary would end its part early:
    /// the boundary has 256 random bits, so only a text that saw it could, and the caller
    /// checks the text fields with [`Form::clashes`] before adding them.
    pub(crate) fn finish(mut self) -> (String, Vec<u8>) {
        self.body.extend_from_slice(b"--");
        self.body.extend_from_slice(self.boundary.as_bytes());
        self.body.extend_from_slice(b"--\r\n");
        (self.content_type(), self.body)
    }

    /// Whether `value` could be mistaken for a boundary line in this form.
    pub(crate) fn clashes(&self, value: &[u8]) -> bool {
        value.windows(self.boundary.len()).any(|w| w == self.boundary.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_has_its_fields_and_file_between_boundaries() {
        let mut form = Form::new();
        form.text("description", "A cat, \"sleeping\"\r\non a mat");
        form.file("file", "../../etc/pass wd\".png", "image/png\r\nX: y", b"\x00PNG\r\n");
        let boundary = form.boundary.clone();
        let (content_type, body) = form.finish();
        assert_eq!(content_type, format!("multipart/form-data; boundary={boundary}"));
        let expected = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"description\"\r\n\r\n\
             A cat, \"sleeping\"\r\non a mat\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"....etcpasswd.png\"\r\n\
             Content-Type: image/pngXy\r\n\r\n\u{0}PNG\r\n\r\n--{boundary}--\r\n"
        );
        assert_eq!(String::from_utf8(body).unwrap(), expected);
    }

    #[test]
    fn boundaries_differ_and_clashes_are_seen() {
        let a = Form::new();
        let b = Form::new();
        assert_ne!(a.boundary, b.boundary);
        assert!(a.boundary.len() > 60);
        assert!(a.clashes(format!("x{}y", a.boundary).as_bytes()));
        assert!(!a.clashes(b.boundary.as_bytes()));
        let (_, empty) = Form::new().finish();
        assert!(empty.starts_with(b"--tutti-") && empty.ends_with(b"--\r\n"));
    }
}

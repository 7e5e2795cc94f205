//! Byte offsets ⟷ LSP positions: a line and a column in UTF-16 code units, as LSP counts them
//! by default (a column past the end of its line is the line's end).

use lsp_types::{Position, Range};

pub struct LineIndex {
    /// The byte offset where each line starts.
    starts: Vec<usize>,
    len: usize,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex {
            starts,
            len: text.len(),
        }
    }

    /// The position of a byte offset (clamped to the text; inside a character: its start).
    pub fn position(&self, text: &str, offset: usize) -> Position {
        let offset = offset.min(self.len);
        let line = self.starts.partition_point(|s| *s <= offset) - 1;
        let start = self.starts[line];
        let column: usize = text[start..]
            .char_indices()
            .take_while(|(i, _)| start + i < offset)
            .map(|(_, c)| c.len_utf16())
            .sum();
        Position::new(line as u32, column as u32)
    }

    pub fn range(&self, text: &str, start: usize, end: usize) -> Range {
        Range::new(self.position(text, start), self.position(text, end))
    }

    /// The byte offset of a position (a line past the end is the end of the text).
    pub fn offset(&self, text: &str, p: Position) -> usize {
        let Some(&start) = self.starts.get(p.line as usize) else {
            return self.len;
        };
        let end = self.starts.get(p.line as usize + 1).map_or(self.len, |e| e - 1);
        let mut units = 0usize;
        for (i, c) in text[start..end].char_indices() {
            if units >= p.character as usize {
                return start + i;
            }
            units += c.len_utf16();
        }
        end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_utf16_units() {
        // é is 2 bytes and 1 unit; 😀 is 4 bytes and 2 units
        let text = "a: é😀x\nb: 1\n";
        let ix = LineIndex::new(text);
        let x = text.find('x').unwrap();
        assert_eq!(ix.position(text, x), Position::new(0, 6));
        assert_eq!(ix.offset(text, Position::new(0, 6)), x);
        let b = text.find('b').unwrap();
        assert_eq!(ix.position(text, b), Position::new(1, 0));
        assert_eq!(ix.offset(text, Position::new(1, 99)), text.len() - 1);
        assert_eq!(ix.offset(text, Position::new(9, 0)), text.len());
        assert_eq!(ix.position(text, text.len()), Position::new(2, 0));
    }
}

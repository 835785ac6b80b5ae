//! What can be wrong in a unit file's text or a value to put in one.

#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
pub enum UnitError {
    #[error("line {line}: \"{text}\" is not in a section: put a [Section] header above it")]
    OutsideSection { line: usize, text: String },
    #[error("line {line}: \"{text}\" is not KEY=VALUE or a [Section] header")]
    NotAnAssignment { line: usize, text: String },
    #[error("line {line}: unterminated section header \"{text}\"")]
    BadHeader { line: usize, text: String },
    #[error("unterminated quote in \"{0}\": close it")]
    UnterminatedQuote(String),
    #[error("bad escape sequence in \"{0}\"")]
    BadEscape(String),
}

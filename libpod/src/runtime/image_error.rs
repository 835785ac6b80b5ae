//! What can be wrong in an image command's arguments: pull policies, save and push
//! destinations, `inspect --type`.

#[derive(thiserror::Error, Debug)]
pub enum ImageError {
    #[error("invalid pull policy {0:?}: use always, missing, never or newer")]
    PullPolicy(String),
    #[error("invalid destination {dest:?}: {transport} needs a path")]
    DestinationNeedsPath { dest: String, transport: String },
    #[error("push to {0}: is not supported: use docker://, oci-archive: or docker-archive:")]
    PushTransport(String),
    #[error("need at least 1 argument")]
    NothingToSave,
    #[error("unsupported format for saving multiple images (only docker-archive)")]
    MultiImageFormat,
    #[error("oci-dir is written to a directory and archives to a file: use --output")]
    OutputKind,
    #[error("invalid type \"{0}\": must be container, image or all")]
    InspectType(String),
    #[error("no such object: \"{0}\"")]
    NoSuchObject(String),
}

//! Id normalisation shared by the readers (hex, base64).

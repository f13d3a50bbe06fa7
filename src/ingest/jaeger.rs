//! (reader to be written)

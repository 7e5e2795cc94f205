pub mod interpolate;
pub mod source;
pub mod yaml;

//! The pipeline: a loaded manifest (the front end's product) through the back end, with the
//! back end's checks. The one module that names both layers.

use crate::back::{self, BuildOptions, Bundle};
use crate::diagnostic::{Code, Diagnostic};
use crate::front::Loaded;

/// Build a loaded manifest and check the result against CloudFormation's quotas. Errors are
/// diagnostics (quotas point at the manifest; a rendering failure is an internal error).
pub fn compile(loaded: &Loaded, options: &BuildOptions) -> Result<(Bundle, Vec<Diagnostic>), Vec<Diagnostic>> {
    let (Some(app), Some(at)) = (&loaded.app, &loaded.locations) else {
        return Err(Vec::new());
    };
    let bundle = back::build(app, options).map_err(|e| vec![at.diagnostic(Code::Limit, &[""], e.to_string())])?;
    let diags = back::check(&bundle, app, loaded.rack.as_ref(), options, at);
    if diags.iter().any(Diagnostic::is_error) {
        Err(diags)
    } else {
        Ok((bundle, diags))
    }
}

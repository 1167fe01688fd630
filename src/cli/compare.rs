//! `gilfree compare OLD.json NEW.json`.

use std::path::Path;
use std::process::ExitCode;

/// Prints the comparison; exit 1 when identical workloads gave different
/// sums.
pub(crate) fn compare(old: &Path, new: &Path) -> anyhow::Result<ExitCode> {
    let old_export = gilfree::compare::read_export(old)?;
    let new_export = gilfree::compare::read_export(new)?;
    // The file names head the comparison: escaped, as paths may hold any
    // character.
    let name = |path: &Path| gilfree::text::escape_controls(&path.display().to_string());
    let comparison = gilfree::compare::compare(&old_export, &name(old), &new_export, &name(new));
    super::print(&comparison.text)?;
    Ok(if comparison.sums_consistent {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

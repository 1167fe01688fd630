//! `gilfree compare OLD.json NEW.json`.

use std::path::Path;
use std::process::ExitCode;

/// Prints the comparison; exit 1 when identical workloads gave different
/// sums.
pub(crate) fn compare(old: &Path, new: &Path) -> anyhow::Result<ExitCode> {
    let old_export = gilfree::compare::read_export(old)?;
    let new_export = gilfree::compare::read_export(new)?;
    let comparison = gilfree::compare::compare(
        &old_export,
        &old.display().to_string(),
        &new_export,
        &new.display().to_string(),
    );
    super::print(&comparison.text)?;
    Ok(if comparison.sums_consistent {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

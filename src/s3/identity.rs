//! STS: who the connection's credentials belong to (Batch Operations needs
//! the account id).

use super::Connection;

/// The caller's account id, from STS.
pub async fn account_id(conn: &Connection) -> anyhow::Result<String> {
    let conf = aws_sdk_sts::config::Builder::from(conn.sdk_config())
        .region(aws_sdk_sts::config::Region::new(conn.home_region()))
        .build();
    let sts = aws_sdk_sts::Client::from_conf(conf);
    let r = sts.get_caller_identity().send().await.map_err(|e| {
        anyhow::anyhow!(
            "cannot find the account id with STS GetCallerIdentity ({}); pass --account-id",
            aws_sdk_sts::error::DisplayErrorContext(&e)
        )
    })?;
    r.account()
        .map(str::to_string)
        .ok_or_else(|| anyhow::anyhow!("STS returned no account id; pass --account-id"))
}

/// Whether `profile` signs in with IAM Identity Center (SSO): its section
/// of the AWS config file has `sso_*` settings. Decides what an expired
/// session tells the user to run.
pub fn profile_uses_sso(profile: &str) -> bool {
    let path = std::env::var_os("AWS_CONFIG_FILE")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".aws/config")));
    let Some(text) = path.and_then(|p| std::fs::read_to_string(p).ok()) else {
        return false;
    };
    sso_in_config(&text, profile)
}

fn sso_in_config(text: &str, profile: &str) -> bool {
    let mut inside = false;
    for line in text.lines().map(str::trim) {
        if let Some(section) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            let name = section.trim();
            let name = name.strip_prefix("profile ").map_or(name, str::trim);
            inside = name == profile;
        } else if inside && line.starts_with("sso_") {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    #[test]
    fn sso_profiles_are_recognised() {
        let cfg = "[default]\nregion = x\n[profile work]\nsso_session = corp\n[profile keys]\nregion = y\n";
        assert!(super::sso_in_config(cfg, "work"));
        assert!(!super::sso_in_config(cfg, "keys"));
        assert!(!super::sso_in_config(cfg, "default"));
        assert!(super::sso_in_config(
            "[default]\nsso_start_url = u\n",
            "default"
        ));
    }
}

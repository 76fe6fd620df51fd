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

//! Connection settings for each side from flags and the config file.
//!
//! Precedence: side flags (`--src-*`) > side named connection > global flags >
//! global named connection > the AWS defaults.

use super::args::ConnFlags;
use super::output::UsageError;
use crate::config::{Config, ConnectionSettings};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Src,
    Dst,
}

fn named(config: &Config, name: &Option<String>) -> anyhow::Result<ConnectionSettings> {
    match name {
        Some(n) => config
            .connection(n)
            .map_err(|e| UsageError(e.to_string()).into()),
        None => Ok(ConnectionSettings::default()),
    }
}

pub fn resolve_side(
    flags: &ConnFlags,
    config: &Config,
    side: Side,
) -> anyhow::Result<ConnectionSettings> {
    let global = ConnectionSettings {
        profile: flags.profile.clone(),
        region: flags.region.clone(),
        endpoint_url: flags.endpoint_url.clone(),
        anonymous: flags.no_sign_request,
        ..Default::default()
    }
    .or(&named(config, &flags.connection)?);
    let (profile, region, endpoint, conn) = match side {
        Side::Src => (
            &flags.src_profile,
            &flags.src_region,
            &flags.src_endpoint_url,
            &flags.src_connection,
        ),
        Side::Dst => (
            &flags.dst_profile,
            &flags.dst_region,
            &flags.dst_endpoint_url,
            &flags.dst_connection,
        ),
    };
    let side_settings = ConnectionSettings {
        profile: profile.clone(),
        region: region.clone(),
        endpoint_url: endpoint.clone(),
        ..Default::default()
    }
    .or(&named(config, conn)?);
    let mut s = side_settings.or(&global);
    // A side-specific endpoint is a different store: the global profile's name
    // for it would be misleading.
    if s.name.is_none() && s.endpoint_url.is_some() && endpoint.is_some() {
        s.name = None;
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn side_flags_win() {
        let config = Config::parse(
            "[connections.m]\nendpoint_url = \"http://m:9000\"\nregion = \"garage\"\n",
        )
        .expect("config");
        let flags = ConnFlags {
            region: Some("eu-west-1".into()),
            connection: Some("m".into()),
            dst_endpoint_url: Some("http://other:1".into()),
            ..Default::default()
        };
        let src = resolve_side(&flags, &config, Side::Src).expect("src");
        assert_eq!(src.endpoint_url.as_deref(), Some("http://m:9000"));
        assert_eq!(
            src.region.as_deref(),
            Some("eu-west-1"),
            "global flag beats named connection"
        );
        let dst = resolve_side(&flags, &config, Side::Dst).expect("dst");
        assert_eq!(dst.endpoint_url.as_deref(), Some("http://other:1"));
        let bad = ConnFlags {
            src_connection: Some("nope".into()),
            ..Default::default()
        };
        assert!(resolve_side(&bad, &config, Side::Src).is_err());
    }
}

pub struct SandboxOptions {
    pub addr: std::net::SocketAddr,
    pub data_dir: Option<std::path::PathBuf>,
    pub credentials: Option<(String, String)>,
}
impl Default for SandboxOptions {
    fn default() -> Self {
        SandboxOptions {
            addr: ([127, 0, 0, 1], 0).into(),
            data_dir: None,
            credentials: None,
        }
    }
}
pub struct Sandbox;
impl Sandbox {
    pub async fn start(_o: SandboxOptions) -> anyhow::Result<Sandbox> {
        anyhow::bail!("x")
    }
    pub fn url(&self) -> String {
        String::new()
    }
    pub async fn shutdown(self) {}
}

//! A real PostgreSQL for the team store tests and the team benchmark: the
//! throw-away cluster scripts/test-session.sh starts (scripts/team-pg.sh),
//! found through LINKDESK_TEST_PG_URL. Each test gets a database of its own
//! with team/roles.sql applied, the schema migrated by an administrator role,
//! and agent roles of its own.
#![allow(dead_code)]

use std::sync::atomic::{AtomicU32, Ordering};

use linkdesk::secrets::SecretString;
use linkdesk::team::TeamStore;
use tokio_postgres::NoTls;

/// The test cluster's superuser URL. Tests fail, never skip, without it.
pub fn admin_url() -> String {
    std::env::var("LINKDESK_TEST_PG_URL").unwrap_or_else(|_| {
        panic!(
            "LINKDESK_TEST_PG_URL is not set: the team store tests need the PostgreSQL cluster that scripts/test-session.sh starts (run them through scripts/test.sh or scripts/test-session.sh)"
        )
    })
}

fn with_db(url: &str, db: &str) -> String {
    let base = url.rsplit_once('/').unwrap().0;
    format!("{base}/{db}")
}

/// host:port of the cluster.
fn host_port() -> String {
    let url = admin_url();
    let after_at = url.rsplit_once('@').unwrap().1;
    after_at.split('/').next().unwrap().to_string()
}

pub async fn superuser(db: &str) -> tokio_postgres::Client {
    let (client, conn) = tokio_postgres::connect(&with_db(&admin_url(), db), NoTls)
        .await
        .expect("the test PostgreSQL cluster is not reachable");
    tokio::spawn(conn);
    client
}

/// Only one test at a time creates roles (they are cluster-wide).
static SETUP: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
static NEXT: AtomicU32 = AtomicU32::new(0);

pub const PASSWORD: &str = "agent-test-password";

/// One test's team database.
pub struct TeamDb {
    pub name: String,
    /// Role names: the administrator and the agents, unique to this database.
    pub admin: String,
    prefix: String,
}

impl TeamDb {
    /// A new database with team/roles.sql applied (not migrated yet) and
    /// agent roles `agents`.
    pub async fn empty(agents: &[&str]) -> TeamDb {
        let _one = SETUP.lock().await;
        let prefix = format!(
            "t{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        );
        let name = format!("team_{prefix}");
        let root = superuser("postgres").await;
        root.batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
        let db = superuser(&name).await;
        db.batch_execute(include_str!("../../team/roles.sql"))
            .await
            .unwrap();
        let admin = format!("{prefix}_admin");
        db.batch_execute(&format!(
            "CREATE ROLE {admin} LOGIN PASSWORD '{PASSWORD}' IN ROLE linkdesk_owner, linkdesk_agent"
        ))
        .await
        .unwrap();
        for a in agents {
            db.batch_execute(&format!(
                "CREATE ROLE {prefix}_{a} LOGIN PASSWORD '{PASSWORD}' IN ROLE linkdesk_agent"
            ))
            .await
            .unwrap();
        }
        TeamDb {
            name,
            admin,
            prefix,
        }
    }

    /// `empty`, migrated by the administrator.
    pub async fn migrated(agents: &[&str]) -> TeamDb {
        let db = TeamDb::empty(agents).await;
        db.store_as(&db.admin.clone()).connect().await.unwrap();
        db
    }

    /// The role name of agent `a`.
    pub fn role(&self, a: &str) -> String {
        format!("{}_{a}", self.prefix)
    }

    pub fn url_of(&self, role: &str) -> String {
        format!("postgres://{role}@{}/{}", host_port(), self.name)
    }

    pub fn store_as(&self, role: &str) -> TeamStore {
        TeamStore::new(
            "sandbox",
            &self.url_of(role),
            Some(SecretString::new(PASSWORD)),
        )
        .unwrap()
    }

    /// Agent `a`'s store.
    pub fn agent(&self, a: &str) -> TeamStore {
        self.store_as(&self.role(a))
    }

    /// A plain connection as agent `a` (for what Linkdesk never does).
    pub async fn raw(&self, a: &str) -> tokio_postgres::Client {
        let url = format!(
            "postgres://{}:{PASSWORD}@{}/{}",
            self.role(a),
            host_port(),
            self.name
        );
        let (client, conn) = tokio_postgres::connect(&url, NoTls).await.unwrap();
        tokio::spawn(conn);
        client
    }

    /// A superuser connection to this database.
    pub async fn root(&self) -> tokio_postgres::Client {
        superuser(&self.name).await
    }

    /// Sets the approval threshold, as the administrator.
    pub async fn set_threshold(&self, cents: Option<i64>) {
        self.store_as(&self.admin.clone())
            .set_approval_threshold_cents(cents)
            .await
            .unwrap();
    }
}

/// Stops or starts the test cluster (scripts/team-pg.sh).
pub fn cluster(cmd: &str) {
    let dir = std::env::var("LINKDESK_TEST_PG_DIR").expect("LINKDESK_TEST_PG_DIR is not set");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let status = std::process::Command::new("bash")
        .arg(root.join("scripts/team-pg.sh"))
        .arg(cmd)
        .arg(dir)
        .status()
        .unwrap();
    assert!(status.success(), "team-pg.sh {cmd} failed");
}

//! Backup and restore: a snapshot of the demo city taken while the API writes restores into
//! a consistent store, table for table; damaged files and occupied targets are refused.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;

use fangkong_api_types::PersonCreate;
use fangkong_client::{Client, PersonSearch};
use fangkong_store::backup::{self, BackupError};
use fangkong_store::{BackendKind, ConnectOptions, MasterKey, Store};
use fangkong_test_support::{backends, create_pg_database, drop_pg_database, TestApp};

use crate::cli::{fangkong, text};

use crate::id;

/// An empty place to restore into: a data directory under `dir`, or a new PostgreSQL
/// database (its name returned for dropping).
async fn empty_target(backend: BackendKind, dir: &Path) -> (ConnectOptions, Option<String>) {
    match backend {
        BackendKind::Sqlite => (
            ConnectOptions::Sqlite {
                path: dir.join("restored").join("fangkong.db"),
            },
            None,
        ),
        BackendKind::Postgres => {
            let (url, name) = create_pg_database("fk_restore").await;
            (
                ConnectOptions::Postgres {
                    url,
                    max_connections: 4,
                },
                Some(name),
            )
        }
    }
}

async fn drop_database(name: Option<String>) {
    if let Some(name) = name {
        drop_pg_database(&name).await;
    }
}

/// Registers persons through the API until `stop`, counting them.
fn spawn_writer(
    client: Client,
    community: String,
    stop: Arc<AtomicBool>,
    written: Arc<AtomicU32>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut seq = 100;
        while !stop.load(Ordering::SeqCst) {
            seq += 1;
            let person = PersonCreate {
                id_number: Some(id("411702", "1985-06-01", seq)),
                name: format!("备份{seq}"),
                community_code: community.clone(),
                ..PersonCreate::default()
            };
            client.create_person(&person).await.unwrap();
            written.fetch_add(1, Ordering::SeqCst);
        }
    })
}

async fn wait_for(written: &AtomicU32, n: u32) {
    while written.load(Ordering::SeqCst) < n {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}

/// Opens a restored store (the key only decrypts, which these checks do not need) and
/// checks its invariants and audit chain.
async fn open_verified(options: &ConnectOptions) -> Store {
    let store = Store::open(options, &MasterKey::generate()).await.unwrap();
    let findings = store.verify().await.unwrap();
    assert!(findings.is_empty(), "restored store: {findings:#?}");
    let chain = store.audit().verify().await.unwrap();
    assert_eq!(chain.first_broken, None, "restored audit chain broken");
    assert!(chain.entries > 0);
    store
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_writing_restores_a_consistent_city() {
    for backend in backends() {
        let app = TestApp::spawn_on(backend).await;
        app.load_city(2_000).await;
        let community = app
            .client
            .search_persons(&PersonSearch::default())
            .await
            .unwrap()[0]
            .community_code
            .clone();
        let dir = tempfile::tempdir().unwrap();
        let before = app.store.table_digests().await.unwrap();

        // A snapshot while persons are being registered through the API.
        let (stop, written) = (
            Arc::new(AtomicBool::new(false)),
            Arc::new(AtomicU32::new(0)),
        );
        let writer = spawn_writer(
            app.client.clone(),
            community.clone(),
            stop.clone(),
            written.clone(),
        );
        wait_for(&written, 3).await;
        let file = dir.path().join("city.fkbackup");
        let manifest = app.store.backup(&file).await.unwrap();
        let at_backup = written.load(Ordering::SeqCst);
        wait_for(&written, at_backup + 3).await;
        stop.store(true, Ordering::SeqCst);
        writer.await.unwrap();
        let after = app.store.table_digests().await.unwrap();
        assert_eq!(manifest.backend, backend.as_str());
        assert_eq!(backup::read_manifest(&file).unwrap(), manifest);

        let (target, database) = empty_target(backend, dir.path()).await;
        let restored_manifest = backup::restore(&file, &target, &[]).await.unwrap();
        assert_eq!(restored_manifest, manifest);
        let restored = open_verified(&target).await;
        let digests = restored.table_digests().await.unwrap();
        assert_eq!(
            digests, manifest.tables,
            "restored store differs from the snapshot"
        );
        let names =
            |d: &[backup::TableDigest]| d.iter().map(|t| t.table.clone()).collect::<Vec<_>>();
        assert_eq!(names(&digests), names(&before));
        for ((b, r), a) in before.iter().zip(&digests).zip(&after) {
            assert!(
                b.rows <= r.rows && r.rows <= a.rows,
                "{}: {} rows before, {} restored, {} after",
                b.table,
                b.rows,
                r.rows,
                a.rows
            );
        }
        let persons =
            |d: &[backup::TableDigest]| d.iter().find(|t| t.table == "persons").unwrap().rows;
        assert!(
            persons(&digests) > persons(&before),
            "the snapshot missed writes made before it"
        );
        assert!(
            persons(&digests) < persons(&after),
            "the snapshot holds writes made after it"
        );

        // Restoring again into the same, now occupied, target is refused.
        let err = backup::restore(&file, &target, &[]).await.unwrap_err();
        assert!(matches!(err, BackupError::NotEmpty(_)), "{err}");
        restored.close().await;
        drop_database(database).await;

        // Without writes, a round trip reproduces every table exactly.
        let quiet = dir.path().join("quiet.fkbackup");
        app.store.backup(&quiet).await.unwrap();
        let (target, database) = empty_target(backend, &dir.path().join("quiet")).await;
        backup::restore(&quiet, &target, &[]).await.unwrap();
        let restored = open_verified(&target).await;
        assert_eq!(
            restored.table_digests().await.unwrap(),
            app.store.table_digests().await.unwrap()
        );
        restored.close().await;
        drop_database(database).await;
        app.verify().await;
    }
}

#[tokio::test]
async fn damaged_files_and_wrong_targets_are_refused() {
    for backend in backends() {
        let app = TestApp::spawn_on(backend).await;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("small.fkbackup");
        app.store.backup(&file).await.unwrap();
        // An existing file is not overwritten.
        assert!(matches!(
            app.store.backup(&file).await.unwrap_err(),
            BackupError::Io { .. }
        ));
        let bytes = std::fs::read(&file).unwrap();

        // One flipped byte in the payload, a truncated file, something else entirely.
        let flipped = dir.path().join("flipped");
        let mut b = bytes.clone();
        let last = b.len() - 100;
        b[last] ^= 0x5a;
        std::fs::write(&flipped, b).unwrap();
        let truncated = dir.path().join("truncated");
        std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
        let other = dir.path().join("other");
        std::fs::write(&other, b"SQLite format 3\0 not really").unwrap();
        for (i, (bad, want)) in [
            (&flipped, "checksum differs"),
            (&truncated, "bytes, the manifest says"),
            (&other, "not a fangkong backup"),
        ]
        .into_iter()
        .enumerate()
        {
            let (target, database) = empty_target(backend, &dir.path().join(i.to_string())).await;
            let err = backup::restore(bad, &target, &[]).await.unwrap_err();
            assert!(err.to_string().contains(want), "{}: {err}", bad.display());
            if let ConnectOptions::Sqlite { path } = &target {
                assert!(!path.exists(), "a refused restore left a database behind");
            }
            drop_database(database).await;
        }

        // A data directory with anything but the master key in it.
        let occupied = dir.path().join("occupied");
        std::fs::create_dir_all(&occupied).unwrap();
        std::fs::write(occupied.join("notes.txt"), "x").unwrap();
        let err = backup::restore(
            &file,
            &ConnectOptions::Sqlite {
                path: occupied.join("fangkong.db"),
            },
            &["master.key"],
        )
        .await
        .unwrap_err();
        match backend {
            BackendKind::Sqlite => assert!(matches!(err, BackupError::NotEmpty(_)), "{err}"),
            BackendKind::Postgres => {
                assert_eq!(
                    err.to_string(),
                    "backup was taken from postgres, cannot restore into sqlite"
                );
            }
        }
        app.verify().await;
    }
}

#[test]
fn the_cli_backs_up_and_restores_a_data_directory() {
    let dir = tempfile::tempdir().unwrap();
    let (data, file) = (dir.path().join("data"), dir.path().join("b.fkbackup"));
    let o = fangkong(
        &data,
        &[
            "user",
            "add",
            "--username",
            "lab1",
            "--role",
            "lab-submitter",
            "--org",
            "dept-testing",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(fangkong(&data, &["user", "token", "--username", "lab1"])
        .status
        .success());
    let o = fangkong(&data, &["backup", "--out", file.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("the master key is not in the backup"),
        "{}",
        text(&o)
    );

    // Without a key: restored, with a note where the key goes.
    let bare = dir.path().join("bare");
    let o = fangkong(&bare, &["restore", file.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("no master key found"), "{}", text(&o));
    assert!(!bare.join("master.key").exists());

    // A foreign key is refused; the key of the instance is accepted.
    let restored = dir.path().join("restored");
    std::fs::create_dir_all(&restored).unwrap();
    let foreign = fangkong(&dir.path().join("foreign"), &["migrate"]);
    assert!(foreign.status.success());
    std::fs::copy(
        dir.path().join("foreign/master.key"),
        restored.join("master.key"),
    )
    .unwrap();
    let o = fangkong(&restored, &["restore", file.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("not the key of this backup"),
        "{}",
        text(&o)
    );
    std::fs::copy(data.join("master.key"), restored.join("master.key")).unwrap();
    let o = fangkong(&restored, &["restore", file.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let o = fangkong(&restored, &["audit", "verify"]);
    assert!(o.status.success(), "{}", text(&o));
    let users = fangkong(&restored, &["user", "list"]);
    assert!(text(&users).contains("lab1"), "{}", text(&users));

    // Restoring over it again is refused.
    let o = fangkong(&restored, &["restore", file.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(text(&o).contains("is not empty"), "{}", text(&o));
}

"""A real WordPress (Debian's package, 6.1.x) on PHP's built-in server with its own MariaDB.

Setup follows ../shared/design/testing.md: WordPress is unpacked from `apt-get download wordpress`
once into a cache folder; each test session copies it, starts MariaDB in a temporary data folder,
installs the site with a PHP script (no wp-cli) and creates an application password.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import httpx

from tests.servers.common import (
    free_port,
    missing,
    need_binary,
    remove_folder,
    spawn,
    stop,
    temp_folder,
    wait_for_port,
)

CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "toasoan-tests"

ROUTER = """<?php
$path = parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH);
$file = __DIR__ . $path;
if ($path !== '/' && is_file($file)) { return false; }
$_SERVER['SCRIPT_NAME'] = '/index.php';
require __DIR__ . '/index.php';
"""

CONFIG = """<?php
define('DB_NAME', 'wordpress');
define('DB_USER', 'root');
define('DB_PASSWORD', '');
define('DB_HOST', '127.0.0.1:{port}');
define('DB_CHARSET', 'utf8mb4');
define('DB_COLLATE', '');
$table_prefix = 'wp_';
define('AUTH_KEY', 'test'); define('SECURE_AUTH_KEY', 'test'); define('LOGGED_IN_KEY', 'test');
define('NONCE_KEY', 'test'); define('AUTH_SALT', 'test'); define('SECURE_AUTH_SALT', 'test');
define('LOGGED_IN_SALT', 'test'); define('NONCE_SALT', 'test');
define('WP_ENVIRONMENT_TYPE', 'local');
define('DISABLE_WP_CRON', true);
define('WP_HTTP_BLOCK_EXTERNAL', true);
define('AUTOMATIC_UPDATER_DISABLED', true);
define('WP_AUTO_UPDATE_CORE', false);
define('WP_DEBUG', false);
$host = isset($_SERVER['HTTP_HOST']) ? $_SERVER['HTTP_HOST'] : '127.0.0.1:{www_port}';
define('WP_HOME', 'http://' . $host);
define('WP_SITEURL', 'http://' . $host);
if (!defined('ABSPATH')) {{ define('ABSPATH', __DIR__ . '/'); }}
require_once ABSPATH . 'wp-settings.php';
"""

INSTALL = """<?php
define('WP_INSTALLING', true);
$_SERVER['HTTP_HOST'] = '127.0.0.1:{www_port}';
require __DIR__ . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
wp_install('Cổng thông tin thử nghiệm', 'admin', 'admin@example.com', true, '', 'admin-password');
$editor = wp_insert_user(array('user_login' => 'bientap', 'user_pass' => 'editor-password',
    'user_email' => 'bientap@example.com', 'role' => 'editor', 'display_name' => 'Ban biên tập'));
list($password, $item) = WP_Application_Passwords::create_new_application_password($editor, array('name' => 'toasoan'));
echo json_encode(array('user' => 'bientap', 'password' => $password));
"""


def _unpacked() -> Path:
    """Debian's WordPress, unpacked once into the cache."""
    www = CACHE / "wordpress" / "www"
    if (www / "wp-load.php").exists():
        return www
    need_binary("dpkg-deb", "dpkg")
    work = temp_folder("wpdeb")
    try:
        debs = sorted(CACHE.glob("wordpress_*.deb"))
        if not debs:
            CACHE.mkdir(parents=True, exist_ok=True)
            done = subprocess.run(["apt-get", "download", "wordpress"], cwd=CACHE, capture_output=True, text=True)
            debs = sorted(CACHE.glob("wordpress_*.deb"))
            if not debs:
                missing("WordPress", f"`apt-get download wordpress` failed: {done.stderr.strip()[-300:]}")
        subprocess.run(["dpkg-deb", "-x", str(debs[-1]), str(work)], check=True)
        source = work / "usr/share/wordpress"
        (source / "wp-config.php").unlink(missing_ok=True)
        for link in list(source.rglob("*")):
            if link.is_symlink() and not link.exists():
                link.unlink()
        (www.parent).mkdir(parents=True, exist_ok=True)
        tmp = www.parent / "www.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.copytree(source, tmp, symlinks=False)
        tmp.rename(www)
    finally:
        remove_folder(work)
    return www


MARIADB_LAST_SECOND = 2**31 - 1  # MariaDB 10.11 (Debian 12) keeps TIMESTAMP in 32 bits: 2038-01-19 03:14:07 UTC


def _db_environment() -> dict[str, str]:
    """MariaDB shares the tests' clock (libfaketime under scripts/test-dates) up to the last moment its
    TIMESTAMP can hold; past it MariaDB cannot even initialise, so it then runs on the real clock. No test
    compares a time MariaDB stamps (WordPress dates posts with PHP's clock, which stays faked)."""
    env = dict(os.environ)
    if "faketime" in env.get("LD_PRELOAD", ""):
        now = int(subprocess.run(["date", "+%s"], capture_output=True, text=True, check=True).stdout)
        if now > MARIADB_LAST_SECOND:
            del env["LD_PRELOAD"]
    return env


class WordPress:
    def __init__(self):
        self.php = need_binary("php", "php-cli php-mysql php-gd php-mbstring php-xml")
        self.mariadbd = need_binary("mariadbd", "mariadb-server")
        self.install_db = need_binary("mariadb-install-db", "mariadb-server")
        probe = subprocess.run([self.php, "-m"], capture_output=True, text=True).stdout.lower()
        if "mysqli" not in probe:
            missing("php-mysql", "apt-get install -y php-mysql")
        self.root = temp_folder("wp")
        self.db_port, self.port = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.procs: list[subprocess.Popen] = []
        self.logs: list = []
        self.user = self.password = ""

    def _log(self, name: str):
        handle = open(self.root / name, "wb")  # noqa: SIM115 - owned by the server process until stop()
        self.logs.append(handle)
        return handle

    def _start_db(self) -> None:
        data = self.root / "db"
        user = ["--user=root"] if os.geteuid() == 0 else []
        env = _db_environment()
        subprocess.run(
            [
                self.install_db,
                "--no-defaults",
                f"--datadir={data}",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
                *user,
            ],
            check=True,
            capture_output=True,
            env=env,
        )
        proc = spawn(
            [
                self.mariadbd,
                "--no-defaults",
                f"--datadir={data}",
                f"--socket={self.root}/db.sock",
                f"--port={self.db_port}",
                "--bind-address=127.0.0.1",
                "--skip-log-bin",
                "--innodb-buffer-pool-size=64M",
                "--innodb-flush-log-at-trx-commit=0",
                f"--pid-file={self.root}/db.pid",
                *user,
            ],
            stdout=subprocess.DEVNULL,
            stderr=self._log("db.log"),
            env=env,
        )
        self.procs.append(proc)
        wait_for_port(self.db_port, 60, proc)
        subprocess.run(
            [
                shutil.which("mariadb") or "mysql",
                "--no-defaults",
                f"--socket={self.root}/db.sock",
                "-uroot",
                "-e",
                "CREATE DATABASE wordpress CHARACTER SET utf8mb4",
            ],
            check=True,
            capture_output=True,
            env=env,
        )

    def start(self) -> WordPress:
        www = self.root / "www"
        shutil.copytree(_unpacked(), www, symlinks=True)
        (www / "wp-content" / "uploads").mkdir(parents=True, exist_ok=True)
        (www / "router.php").write_text(ROUTER)
        (www / "wp-config.php").write_text(CONFIG.format(port=self.db_port, www_port=self.port))
        (www / "toasoan-install.php").write_text(INSTALL.format(www_port=self.port))
        self._start_db()
        done = subprocess.run(
            [self.php, "-d", "display_errors=stderr", str(www / "toasoan-install.php")],
            capture_output=True,
            text=True,
            cwd=www,
        )
        if done.returncode != 0 or not done.stdout.strip().startswith("{"):
            raise RuntimeError(f"WordPress install failed: {done.stdout[-1000:]} {done.stderr[-1000:]}")
        creds = json.loads(done.stdout.strip().splitlines()[-1])
        self.user, self.password = creds["user"], creds["password"]
        (www / "toasoan-install.php").unlink()
        env = {**os.environ, "PHP_CLI_SERVER_WORKERS": "2"}
        proc = spawn(
            [
                self.php,
                "-d",
                "display_errors=0",
                "-d",
                "upload_max_filesize=64M",
                "-d",
                "post_max_size=64M",
                "-S",
                f"127.0.0.1:{self.port}",
                "-t",
                str(www),
                str(www / "router.php"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=self._log("php.log"),
            env=env,
        )
        self.procs.append(proc)
        wait_for_port(self.port, 30, proc)
        return self

    def stop(self) -> None:
        for proc in reversed(self.procs):
            stop(proc)
        for handle in self.logs:
            handle.close()
        remove_folder(self.root)

    def get(self, route: str, **params) -> list | dict:
        """GET a REST route as the editor account, e.g. get("posts", status="publish")."""
        response = httpx.get(
            self.url + "/",
            params={"rest_route": f"/wp/v2/{route}", "context": "edit", **params},
            auth=(self.user, self.password),
            timeout=30,
        )
        response.raise_for_status()
        return response.json()

    def posts(self, **params) -> list[dict]:
        return self.get("posts", per_page=100, status="publish,draft,pending,future,private", **params)

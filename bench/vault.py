"""Vault throughput and memory against the age CLI and cp, and the erasure sweep's speed.

    .venv/bin/python bench/vault.py [--quick] [--size-mib N] [--items N]

Full run: a 2 GiB random file and 100,000 expired items; --quick: 256 MiB and 10,000 items.
``vault put`` / ``vault get`` are timed end to end as a user runs them ("whole run"), and
once more without their fixed start-up, measured on a 1-byte item in the same run: that is
their throughput (put_mb_s, get_mb_s), the bytes over the time spent on them. (With
--quick the file takes about as long as the start-up, so that subtraction is too uncertain
to mean much; judge throughput on the full run.) ``age -r`` /
``age -d`` on the same file and ``cp`` (the disk's limit) are the references, measured in the
same run. Peak memory is the largest resident set of the process.
Runs an embedded installation (SQLite, folders) in a temporary directory. Each figure is the
best of five rounds (``--rounds``); a round runs every operation once, each started after
``sync``. Because the machine drifts, the ratios are also paired within each round and their
median is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MIB = 1024 * 1024
MEASURE = (
    "import resource, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "r = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)\n"
    "elapsed = time.perf_counter() - t\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "sys.stderr.write(f'{elapsed} {peak} {r.returncode}\\n')\n"
    "sys.stdout.buffer.write(r.stdout)\n"
)


def measured(command: list, env: dict, repeats: int = 3) -> tuple[float, float, bytes]:
    """Best seconds, peak RSS in MiB and stdout of ``command``, each run in its own process.

    The disk's write-back makes single runs noisy: dirty pages of the previous step are
    flushed (``sync``) before every run, and the fastest of ``repeats`` runs counts.
    """
    runs = []
    for _ in range(repeats):
        os.sync()
        time.sleep(0.5)
        runs.append(_measured_once(command, env))
    return min(r[0] for r in runs), max(r[1] for r in runs), runs[-1][2]


def _measured_once(command: list, env: dict) -> tuple[float, float, bytes]:
    result = subprocess.run(
        [sys.executable, "-c", MEASURE, *map(str, command)],
        env=env,
        capture_output=True,
        check=True,
    )
    elapsed, peak_kib, code = result.stderr.decode().split()
    if code != "0":
        raise SystemExit(f"{command[:4]} failed with exit code {code}")
    return float(elapsed), int(peak_kib) / 1024, result.stdout


PIPELINE = (
    "import sys, time\n"
    "from privacydesk.vault import age\n"
    "identity = age.Identity.parse(open(sys.argv[2]).read().split()[-1])\n"
    "class Null:\n"
    "    def write(self, data): return len(data)\n"
    "t = time.perf_counter()\n"
    "with open(sys.argv[3], 'rb', buffering=0) as source:\n"
    "    if sys.argv[1] == 'encrypt':\n"
    "        age.encrypt(source, Null(), identity.to_public())\n"
    "    else:\n"
    "        digest = age.BackgroundSha256()\n"
    "        for batch in age.open_file(source, identity).batches():\n"
    "            digest.update(*batch)\n"
    "        digest.hexdigest()\n"
    "print(time.perf_counter() - t)\n"
)


def pipelines(key: Path, recipient: str, source: Path, sealed: Path, env: dict) -> dict:
    """Seconds of the crypto pipelines alone, without the disk: cached input, output to
    nowhere. The vault's (in-process: encrypt + SHA-256, decrypt + SHA-256) against
    ``age -r`` / ``age -d`` writing to /dev/null; best of three each."""
    best: dict[str, float] = {}
    for _ in range(3):
        for name, command in {
            "age -r > null": ["age", "-r", recipient, "-o", "/dev/null", source],
            "age -d > null": ["age", "-d", "-i", key, "-o", "/dev/null", sealed],
        }.items():
            best[name] = min(best.get(name, 1e9), measured(command, env, repeats=1)[0])
        for name, args in {
            "vault encrypt > null": ["encrypt", key, source],
            "vault decrypt > null": ["decrypt", key, sealed],
        }.items():
            out = subprocess.run(
                [sys.executable, "-c", PIPELINE, *map(str, args)],
                env=env, capture_output=True, check=True, text=True,
            ).stdout  # fmt: skip
            best[name] = min(best.get(name, 1e9), float(out))
    return best


def make_file(path: Path, size: int) -> None:
    with open(path, "wb") as fh:
        left = size
        while left:
            chunk = min(left, 16 * MIB)
            fh.write(os.urandom(chunk))
            left -= chunk


def sweep_benchmark(count: int, env: dict) -> float:
    """Seconds for the sweep over ``count`` expired items in 100 jobs (run in-process)."""
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "privacydesk.settings")
    import django

    django.setup()
    import uuid
    from datetime import timedelta

    from django.utils import timezone

    from privacydesk.vault import erasure, keyring, services, storage
    from privacydesk.vault.models import VaultItem

    past = timezone.localdate() - timedelta(days=2)
    keyring.get_key(keyring.day_name(past), create=True)
    jobs = [
        services.create_job(
            contact_email=f"klant{n}@example.nl", device="bench", actor="system:bench"
        ).job
        for n in range(100)
    ]
    rows = []
    now = timezone.now()
    for n in range(count):
        item_id = uuid.uuid4()
        blob = f"{item_id.hex}.age"
        storage.path_of(blob).write_bytes(b"x")
        rows.append(
            VaultItem(
                id=item_id,
                job=jobs[n % len(jobs)],
                name=f"file-{n}",
                raw_name=b"file",
                size=1,
                sha256="0" * 64,
                blob=blob,
                created_at=now,
                expires_on=past,
                key_name=keyring.day_name(past),
                wrapped_key=b"\0" * 60,
            )
        )
    VaultItem.objects.bulk_create(rows, batch_size=2000)
    start = time.perf_counter()
    report = erasure.sweep()
    elapsed = time.perf_counter() - start
    assert report.items_erased == count, report
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--size-mib", type=int)
    parser.add_argument("--items", type=int)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    size = (args.size_mib or (256 if args.quick else 2048)) * MIB
    items = args.items or (10_000 if args.quick else 100_000)
    for tool in ("age", "age-keygen", "cp"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is needed (Debian: apt-get install age)")

    root = Path(tempfile.mkdtemp(prefix="pd-bench-vault-"))
    try:
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env["PRIVACYDESK_DATA_DIR"] = str(root / "data")
        privacydesk = [sys.executable, "-m", "privacydesk"]
        subprocess.run([*privacydesk, "migrate", "-v0"], env=env, check=True)
        job = json.loads(
            subprocess.run(
                [*privacydesk, "vault", "job", "create", "--contact", "bench@example.nl",
                 "--device", "bench", "--json"],
                env=env, check=True, capture_output=True,
            ).stdout
        )  # fmt: skip
        source = root / "image.dd"
        make_file(source, size)
        key = root / "age.key"
        subprocess.run(["age-keygen", "-o", key], check=True, capture_output=True)
        recipient = subprocess.run(
            ["age-keygen", "-y", key], check=True, capture_output=True, text=True
        ).stdout.strip()

        tiny = root / "tiny.bin"
        tiny.write_bytes(b"x")
        results = {}
        # The fixed cost of a command (Python, Django, the database, the audit entry),
        # measured on a 1-byte file so it can be told apart from the cost per byte.
        tiny_put = measured([*privacydesk, "vault", "put", "--job", job["id"], tiny, "--json"], env)
        tiny_item = json.loads(tiny_put[2])[0]["id"]
        tiny_get = measured(
            [*privacydesk, "vault", "get", tiny_item, "--out", root / "tiny.out", "--no-progress"],
            env,
        )
        # vault put fsyncs each blob before its row is committed (crash safety); age does not.
        # "age -r+sync" adds the same fsync to age's output, so the price of that is visible.
        age_sync = 'age -r "$1" -o "$2" "$3" && sync "$2"'
        put = [*privacydesk, "vault", "put", "--job", job["id"], source, "--json"]
        item: list[str] = []  # the item the last put stored
        steps = {
            "cp": (["cp", source, root / "copy.dd"], [root / "copy.dd"]),
            "age -r": (["age", "-r", recipient, "-o", root / "x.age", source], []),
            # Into a new file, as vault put stores a new blob: each decryption then follows
            # a fresh, fsynced 2 GiB file that stays (on this kind of machine, writing new
            # pages slows down as the page cache grows, so the states must match).
            "age -r+sync": (["sh", "-c", age_sync, "sh", recipient, root / "y.age", source], []),
            # Outputs are removed once read, so that each round starts alike.
            "age -d": (
                ["age", "-d", "-i", key, "-o", root / "x.out", root / "y.age"],
                [root / "x.out", root / "x.age", root / "y.age"],
            ),
            "vault put": (put, []),
            "vault get": (
                lambda: [*privacydesk, "vault", "get", item[0], "--out", root / "restored.dd",
                         "--no-progress"],
                [root / "restored.dd"],
            ),
        }  # fmt: skip
        # Rounds: every operation once per round, so that all of them meet the disk in the
        # same state (a virtual disk's speed drifts over minutes); the best round counts.
        runs: dict[str, list] = {name: [] for name in steps}
        for _round in range(args.rounds):
            for name, (command, leftovers) in steps.items():
                command = command() if callable(command) else command
                runs[name].append(measured(command, env, repeats=1))
                if name == "vault put":  # get reads this round's item, as age -d reads x.age
                    item[:] = [json.loads(runs[name][-1][2])[0]["id"]]
                if name == "vault get":
                    assert (root / "restored.dd").stat().st_size == size
                    # Its blob is not needed any more (see the outputs of age -d).
                    (root / "data" / "vault" / f"{item[0].replace('-', '')}.age").unlink()
                for path in leftovers:
                    path.unlink()
        results = {
            name: (min(r[0] for r in done), max(r[1] for r in done), done[-1][2])
            for name, done in runs.items()
        }
        subprocess.run(["age", "-r", recipient, "-o", root / "x.age", source], check=True)
        piped = pipelines(key, recipient, source, root / "x.age", env)
        (root / "x.age").unlink()
        source.unlink()
        sweep_s = sweep_benchmark(items, env)

        mb = size / 1e6
        rate = {name: mb / seconds for name, (seconds, _peak, _out) in results.items()}
        # A vault command pays a fixed start-up (Python, Django, the database, the audit
        # entry) that a Go binary does not; measured on a 1-byte item, it is taken out of the
        # throughput, which is the bytes over the time the command spends on them.
        startup = {"vault put": tiny_put[0], "vault get": tiny_get[0]}
        spent = {name: results[name][0] - startup[name] for name in startup}
        throughput = {name: mb / seconds for name, seconds in spent.items()}
        reference = {"vault put": "age -r", "vault get": "age -d"}
        print(f"vault benchmark: {size // MIB} MiB random file, sweep over {items:,} items")
        print(f"{'operation':<22}{'seconds':>9}{'MB/s':>8}{'peak MiB':>10}{'ratio':>16}")

        def row(name, seconds, per_s, peak="", ratio=""):
            print(f"{name:<22}{seconds:>9.2f}{per_s:>8.0f}{peak:>10}{ratio:>16}")

        for name in ("cp", "age -r", "age -r+sync", "age -d"):
            row(name, results[name][0], rate[name], f"{results[name][1]:.1f}")
        for name, ref in reference.items():
            ratio = f"{rate[name] / rate[ref]:.2f}x {ref}"
            row(f"{name} (whole run)", results[name][0], rate[name], "", ratio)
        for name in reference:
            print(f"{name + ' start-up':<22}{startup[name]:>9.2f}")
        for name, ref in reference.items():
            ratio = f"{throughput[name] / rate[ref]:.2f}x {ref}"
            row(name, spent[name], throughput[name], f"{results[name][1]:.1f}", ratio)
        for name, seconds in piped.items():
            row(name, seconds, mb / seconds)
        enc_ratio = piped["age -r > null"] / piped["vault encrypt > null"]
        dec_ratio = piped["age -d > null"] / piped["vault decrypt > null"]
        print(f"{'sweep':<22}{sweep_s:>9.2f}{'':>8}{'':>10}{f'{items:,} items':>16}")
        # Paired within each round (both met the disk and CPU in the same state): the median
        # of these ratios is the figure least moved by the machine's drift.
        paired = {
            "put/age -r": ("vault put", "age -r"),
            "put/age -r+sync": ("vault put", "age -r+sync"),
            "get/age -d": ("vault get", "age -d"),
        }
        for name, done in runs.items():
            shown = " ".join(f"{r[0]:.2f}" for r in done)
            print(f"per round {name + ' s':<16} {shown}")
        medians = {}
        for label, (ours, theirs) in paired.items():
            ratios = [
                (mine[0] - startup[ours]) ** -1 / (ref[0] ** -1)
                for mine, ref in zip(runs[ours], runs[theirs], strict=True)
            ]
            medians[label] = statistics.median(ratios)
            shown = " ".join(f"{r:.2f}" for r in ratios)
            print(f"per round {label:<16} {shown}   median {medians[label]:.2f}x")
        put_vs_sync = throughput["vault put"] / rate["age -r+sync"]
        print(f"vault put (fsynced) / (age -r + sync): {put_vs_sync:.2f}x")
        print(
            f"RESULT put_mb_s={throughput['vault put']:.0f} "
            f"get_mb_s={throughput['vault get']:.0f} "
            f"age_encrypt_mb_s={rate['age -r']:.0f} age_decrypt_mb_s={rate['age -d']:.0f} "
            f"cp_mb_s={rate['cp']:.0f} put_peak_mib={results['vault put'][1]:.0f} "
            f"get_peak_mib={results['vault get'][1]:.0f} sweep_{items // 1000}k_s={sweep_s:.1f} "
            f"put_vs_age={throughput['vault put'] / rate['age -r']:.2f} "
            f"get_vs_age={throughput['vault get'] / rate['age -d']:.2f} "
            f"put_vs_age_sync={put_vs_sync:.2f} "
            f"put_whole_run_mb_s={rate['vault put']:.0f} "
            f"get_whole_run_mb_s={rate['vault get']:.0f} "
            f"put_whole_run_vs_age={rate['vault put'] / rate['age -r']:.2f} "
            f"get_whole_run_vs_age={rate['vault get'] / rate['age -d']:.2f} "
            f"startup_put_s={startup['vault put']:.2f} startup_get_s={startup['vault get']:.2f} "
            f"encrypt_pipeline_vs_age={enc_ratio:.2f} decrypt_pipeline_vs_age={dec_ratio:.2f} "
            f"put_vs_age_round_median={medians['put/age -r']:.2f} "
            f"put_vs_age_sync_round_median={medians['put/age -r+sync']:.2f} "
            f"get_vs_age_round_median={medians['get/age -d']:.2f}"
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()

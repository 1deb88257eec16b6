import os
import subprocess
import sys
import textwrap

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SCRIPT = textwrap.dedent("""
    import sys
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    sys.path.insert(0, {root!r})
    import numpy as np
    from betavae import runs, train
    from betavae.config import Config
    for model in ("fully_connected", "conv"):  # the XLA and the graph step
        config = Config(model=model, hidden_size=4, batch_size=8, max_step=20, log_every=10,
                        checkpoint_every=10, strategy="mirrored", train_dir={prefix!r})
        assert train.Trainer(config).replicas == 2
        assert train.train(config) == 20
        rows = runs.read_metrics(config.run_dir)
        assert [r["step"] for r in rows] == [10, 20], rows
        assert all(np.isfinite(r["loss"]) for r in rows)
        _, _, step, _ = runs.load_run(config.run_dir)  # restores on one device
        assert step == 20
    print("mirrored ok")
""")


def test_mirrored_strategy_on_two_logical_cpus(tmp_path):
    script = SCRIPT.format(root=ROOT, prefix=str(tmp_path / "ts"))
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            env=env, timeout=300)
    assert result.returncode == 0 and "mirrored ok" in result.stdout, result.stderr[-3000:]

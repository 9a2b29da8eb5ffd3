"""Training: config, schedule, data source, checkpoints, logs. The loop itself is `simplevla.train.loop`."""

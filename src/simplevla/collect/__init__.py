"""Collecting demonstrations: scripted experts in the envs write datasets (`record`), and expert corrections on
a policy's own rollouts grow them (`dagger`). This layer sits above `envs`, `data` and `models`."""

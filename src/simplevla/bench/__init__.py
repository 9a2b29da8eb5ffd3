"""The speed benchmark behind `simplevla bench` (`speed`), and env throughput on one core (`env`)."""

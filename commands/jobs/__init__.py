"""The scheduled jobs: table.py names every job the scheduler runs (bot/scheduler.py);
digests.py and stalls.py are the jobs that belong to no single command."""

"""Batch endpoint jobs run locally: `job.prepare_job` then `job.run_job`; records in `jobs`."""

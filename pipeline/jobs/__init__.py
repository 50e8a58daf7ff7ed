"""Jobs: the bookkeeping that makes every document end embedded, skipped or failed, exactly once.

* :mod:`pipeline.jobs.store`: the job's state in Redis (counters, idempotent chunk results, the
  done stream), with the Lua scripts that make completion exactly-once under redelivery.
* :mod:`pipeline.jobs.batching`: cutting a slice of documents into provider-sized batches.
* :mod:`pipeline.jobs.reader`: streaming JSONL input with line-numbered errors.
* :mod:`pipeline.jobs.sink`: the writer that turns finished documents into output lines.
* :mod:`pipeline.jobs.producer`: ``submit_documents`` and the :class:`JobHandle` apps use.
"""

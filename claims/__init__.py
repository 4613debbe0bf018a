"""The book's claims, measured: ``harness`` (checks, worlds, the registry) and ``chapters``
(each chapter's sentences and their checks)."""

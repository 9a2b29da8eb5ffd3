"""`simplevla serve`: a local web app to type instructions and watch a policy act (the `serve` extra).

`app` (the FastAPI routes), `sessions` (one tab's env and episode; the limit and idle expiry), `batcher`
(the one model worker that batches every tab's inference), `scenes` (a task in plain words, example
wordings), `video` (GIF/mp4 downloads), `command` (`ServeCommand`), `static/` (the page, no CDN).
"""

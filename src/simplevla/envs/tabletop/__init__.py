"""The Tabletop suite: a language-conditioned pushing table (pymunk physics, RGB render), its task families,
instruction wordings and scripted expert.

`env` holds TabletopEnv, `expert` the scripted Expert, `tasks` the families (pure data), `language` and
`wording` the instruction grammars, `reading` the parse head's slots, `scene` and `render` the objects and
pixels, `starts` the front-start placement. Import the module you need; this package imports nothing, so
`tasks` and `language` load without pymunk.
"""

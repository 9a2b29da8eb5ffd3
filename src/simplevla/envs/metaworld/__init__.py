"""The Meta-World suite: MT10 tasks behind Tabletop's observation contract, with Meta-World's scripted
policies as the expert. `tasks` is pure data; `env`, `render` and `expert` need the `metaworld` extra.
"""

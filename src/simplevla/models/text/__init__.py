"""Instruction encoders, one file per kind: `lstm` (the tutorial's Embedding+LSTM), `wordllama` (frozen
wordllama word vectors read by an LSTM, raw or snapped to the training words), with `wordvec` loading the
vectors from their package and `sequences` holding what every encoder shares."""

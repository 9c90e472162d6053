// Data sets (see DataSet.swift).

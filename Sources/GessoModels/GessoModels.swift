// Models and trainers.

"""scikit-learn's side of the ML benchmark (bench/sections/ml.ts runs it with /usr/bin/python3).

usage: sklearn_forest.py TRAIN.csv TEST.csv TREES MIN_SAMPLES_LEAF MAX_FEATURES SEED

Both CSVs: header row, numeric columns, the target last. Fits a RandomForestRegressor on one thread
and prints one JSON object: fit seconds (wall and CPU), held-out RMSE, pickle bytes, single-row
predict latency (median of 200 calls).
"""
import json
import pickle
import statistics
import sys
import time

import numpy as np
from sklearn.ensemble import RandomForestRegressor


def load(path):
    data = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
    return data[:, :-1], data[:, -1]


def main():
    train_path, test_path, trees, min_leaf, max_features, seed = sys.argv[1:7]
    x_train, y_train = load(train_path)
    x_test, y_test = load(test_path)
    model = RandomForestRegressor(
        n_estimators=int(trees),
        min_samples_leaf=int(min_leaf),
        max_features=float(max_features),
        random_state=int(seed),
        n_jobs=1,
    )
    start, start_cpu = time.perf_counter(), time.process_time()
    model.fit(x_train, y_train)
    fit_seconds = time.perf_counter() - start
    fit_cpu_seconds = time.process_time() - start_cpu

    predicted = model.predict(x_test)
    rmse = float(np.sqrt(np.mean((predicted - y_test) ** 2)))

    latencies = []
    for i in range(200):
        row = x_test[i % len(x_test)].reshape(1, -1)
        t = time.perf_counter()
        model.predict(row)
        latencies.append(time.perf_counter() - t)

    print(json.dumps({
        "sklearn_version": __import__("sklearn").__version__,
        "fit_seconds": fit_seconds,
        "fit_cpu_seconds": fit_cpu_seconds,
        "rmse": rmse,
        "pickle_bytes": len(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)),
        "predict_row_us": statistics.median(latencies) * 1e6,
        "nodes": int(sum(tree.tree_.node_count for tree in model.estimators_)),
    }))


if __name__ == "__main__":
    main()

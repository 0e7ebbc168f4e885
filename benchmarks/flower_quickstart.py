"""Flower's simulation engine on fedsim's quickstart task, for a throughput comparison.

The task matches scenarios/quickstart.yaml: the digits in data/digits.csv, standardized,
80/20 split, Dirichlet(0.5) label skew over 100 clients, 10 clients a round, softmax
regression trained locally for one epoch of minibatch SGD (batch 16, lr 0.1), FedAvg
weighted by sample counts, 100 rounds. Client updates per second are counted from the
first round's dispatch to the last aggregation, as `fedsim bench` counts them.

    python3 -m venv .venv-flower && .venv-flower/bin/pip install "flwr[simulation]"
    .venv-flower/bin/python benchmarks/flower_quickstart.py
"""
import os
import time
from pathlib import Path

import numpy as np
from flwr.client import ClientApp, NumPyClient
from flwr.common import Context, ndarrays_to_parameters, parameters_to_ndarrays
from flwr.server import ServerApp, ServerAppComponents, ServerConfig
from flwr.server.strategy import FedAvg
from flwr.simulation import run_simulation

CLIENTS, PER_ROUND, ROUNDS, BATCH, LR, ALPHA = 100, 10, 100, 16, 0.1, 0.5

rows = np.loadtxt(Path(__file__).resolve().parent.parent / "data" / "digits.csv", delimiter=",")
features, labels = rows[:, :-1].astype(np.float32), rows[:, -1].astype(np.int64)
rng = np.random.default_rng(1)
order = rng.permutation(len(labels))
test, train = order[: len(order) // 5], order[len(order) // 5:]
mean, std = features[train].mean(0), features[train].std(0)
std[std == 0] = 1
features = (features - mean) / std

shards = [[] for _ in range(CLIENTS)]
while True:
    shards = [[] for _ in range(CLIENTS)]
    for label in range(10):
        members = rng.permutation(train[labels[train] == label])
        cuts = (np.cumsum(rng.dirichlet([ALPHA] * CLIENTS)) * len(members)).astype(int)[:-1]
        for client, part in enumerate(np.split(members, cuts)):
            shards[client].extend(part.tolist())
    if min(len(s) for s in shards) >= 1:
        break


def softmax_sgd(weights, bias, x, y, seed):
    shuffled = np.random.default_rng(seed).permutation(len(y))
    for start in range(0, len(y), BATCH):
        batch = shuffled[start:start + BATCH]
        logits = x[batch] @ weights + bias
        logits -= logits.max(1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(1, keepdims=True)
        p[np.arange(len(batch)), y[batch]] -= 1
        p /= len(batch)
        weights -= LR * x[batch].T @ p
        bias -= LR * p.sum(0)
    return weights, bias


class Digits(NumPyClient):
    def __init__(self, client):
        self.client = client

    def fit(self, parameters, config):
        rows = np.array(shards[self.client])
        weights, bias = softmax_sgd(parameters[0].copy(), parameters[1].copy(), features[rows], labels[rows],
                                    config.get("server_round", 0) * 1000 + self.client)
        return [weights, bias], len(rows), {}


def client_fn(context: Context):
    return Digits(int(context.node_config["partition-id"])).to_client()


times = {}


class TimedFedAvg(FedAvg):
    def configure_fit(self, server_round, parameters, client_manager):
        times.setdefault("start", time.perf_counter())
        return super().configure_fit(server_round, parameters, client_manager)

    def aggregate_fit(self, server_round, results, failures):
        aggregated = super().aggregate_fit(server_round, results, failures)
        times["end"] = time.perf_counter()
        times["updates"] = times.get("updates", 0) + len(results)
        if server_round == ROUNDS:
            weights, bias = parameters_to_ndarrays(aggregated[0])
            times["accuracy"] = float(((features[test] @ weights + bias).argmax(1) == labels[test]).mean())
        return aggregated


def server_fn(context: Context):
    initial = ndarrays_to_parameters([np.zeros((64, 10), np.float32), np.zeros(10, np.float32)])
    strategy = TimedFedAvg(fraction_fit=PER_ROUND / CLIENTS, fraction_evaluate=0.0, min_fit_clients=PER_ROUND,
                           min_available_clients=CLIENTS, initial_parameters=initial,
                           on_fit_config_fn=lambda server_round: {"server_round": server_round})
    return ServerAppComponents(strategy=strategy, config=ServerConfig(num_rounds=ROUNDS))


if __name__ == "__main__":
    run_simulation(server_app=ServerApp(server_fn=server_fn), client_app=ClientApp(client_fn=client_fn),
                   num_supernodes=CLIENTS,
                   backend_config={"client_resources": {"num_cpus": 1, "num_gpus": 0.0}})
    seconds = times["end"] - times["start"]
    print(f"flower: {times['updates']} client updates in {seconds:.2f} s = {times['updates'] / seconds:.0f} "
          f"updates/s on {os.cpu_count()} cores; final test accuracy {times.get('accuracy', float('nan')):.4f}")

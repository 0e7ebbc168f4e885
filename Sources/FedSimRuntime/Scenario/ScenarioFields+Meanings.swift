extension ScenarioFields {
    /// What each field of `all` means, by path.
    public static let meanings: [String: String] = [
        "name": "Names the run and its default folder, `runs/NAME`; unset, the scenario file's name without `.yaml`.",
        "seed": "Every random draw of the run derives from it (the data's "
            + "too, unless `data_seed` is set); `--seed` overrides it.",
        "data": "Where the rows come from and how they are prepared: the source and its files or "
            + "generator settings, the test split, scaling, label groups and a feature transform.",
        "data.alpha": "synthetic: the heterogeneity of the clients' models, the standard "
            + "deviation of u_k in FedProx's generator (LEAF Synthetic(alpha, beta)).",
        "data.beta": "synthetic: the heterogeneity of the clients' features, the standard deviation of B_k "
            + "in FedProx's generator (LEAF Synthetic(alpha, beta)); it is what makes the clients differ.",
        "data.classes": "synthetic, synthetic_iid: the number of classes (default 10). csv, "
            + "libsvm, idx, leaf: the labels must be the class ids 0 to classes - 1, and any "
            + "other label stops the run naming its file and line; unset, the sorted distinct "
            + "labels found become the classes, so a stray label silently makes an extra class.",
        "data.client_column": "csv: the column (from 0, negative counts from the end) naming each "
            + "row's client; libsvm: `qid`, each row's `qid:N` token. The file's clients, in the order "
            + "it first names them, are then the partition (`scheme: natural`, `partition.clients` "
            + "their number). Unset: the rows are pooled and `partition` splits them.",
        "data.features": "libsvm: the feature count, 0 (the default) meaning the largest "
            + "index seen; synthetic, synthetic_iid: the features a client draws (default "
            + "60); synthetic_regression: the features of each row (default 10).",
        "data.images": "idx, required there: the IDX (MNIST format) images "
            + "file, plain or gzip-compressed; pixels are scaled to [0, 1].",
        "data.informative": "synthetic_regression: the features with a nonzero "
            + "coefficient, at most `features`; defaults to `features`.",
        "data.label_column": "csv: the label's column, negative counts from the end.",
        "data.label_groups": "New classes made of the data's labels: a list of non-empty lists of labels "
            + "(integers >= 0, none in two lists), each list one class, e.g. `[[0, 2, 4, 6, 8], [1, 3, 5, 7, 9]]` "
            + "for even against odd digits. Rows of other labels are dropped; unset, the labels stay as they are.",
        "data.labels": "idx, required there: the IDX (MNIST format) labels file, plain or gzip-compressed.",
        "data.max_samples_per_client": "synthetic, synthetic_iid: the "
            + "cap on each client's lognormal(4, 2) + 50 samples.",
        "data.noise": "synthetic_regression: the standard deviation of the Gaussian noise on the targets.",
        "data.normalize": "Feature scaling, fitted on the training rows and applied to all: `none`, "
            + "`minmax` (the training rows span [0, 1]) or `standard` (z-scores, population "
            + "standard deviation); a feature constant on the training rows is left unscaled.",
        "data.path": "csv, libsvm, leaf, required there: the data file, relative to the scenario file's folder.",
        "data.samples_per_client": "synthetic_regression: the rows a "
            + "client draws, 90% to train and 10% for the test set.",
        "data.slope_range": "synthetic_regression: each client's targets "
            + "are multiplied by a slope drawn uniformly in `[low, high]`.",
        "data.source": "Where the rows come from: a file (`csv`, `libsvm`, `idx`, or `leaf`, LEAF-format JSON split "
            + "by user, whose users are the clients) or a generator: `synthetic` (LEAF Synthetic(alpha, beta) of "
            + "the FedProx paper), `synthetic_iid` (FedProx's Synthetic-IID: one W and b for every client) or "
            + "`synthetic_regression` (a linear-regression problem per client, for `model.kind: least_squares`).",
        "data.test_fraction": "csv, libsvm, idx, and leaf without `test_path`: the share of rows held "
            + "out as the coordinator's test set, stratified by label (per client for data split by "
            + "client). Generated data keeps 10% of each client's rows for the test set instead.",
        "data.test_path": "leaf: LEAF's test file, whose rows (every user's) are the test set, read with "
            + "the training file's classes. Unset: each client's rows are split by `test_fraction`.",
        "data.transform": "csv, libsvm, idx, leaf: one fixed rearrangement of every row's "
            + "features (train and test alike, labels unchanged), applied right after loading: "
            + "`{kind: permute, seed: s}`, `{kind: rotate, degrees: 90}` or `{kind: flip}`.",
        "data.transform.degrees": "kind rotate, required there: the counterclockwise turn, 90, "
            + "180 or 270; the features must be a square image, side x side pixels row-major.",
        "data.transform.kind": "`permute` (one random permutation of the columns, as permuted MNIST), `rotate` "
            + "(turns square images counterclockwise) or `flip` (mirrors square images left to right).",
        "data.transform.seed": "kind permute: the seed the column "
            + "permutation is drawn from, independent of the run's `seed`.",
        "partition": "How the training rows are split among the clients "
            + "(a decentralized run's nodes: part i is node i).",
        "partition.alpha": "scheme dirichlet: the label-skew concentration; smaller is more skewed.",
        "partition.clients": "The number of clients (a decentralized run's nodes); "
            + "generators make this many, and a file split by client must have this many.",
        "partition.min_samples": "scheme dirichlet: the shares are drawn "
            + "again until every client holds at least this many rows.",
        "partition.scheme": "`iid`, `dirichlet` (per-class shares drawn from Dirichlet(`alpha`)), "
            + "`shards` (the label-sorted rows cut into equal shards, `shards_per_client` each) or "
            + "`natural` (the data's own clients: generated, leaf, or a `client_column`). Defaults "
            + "to `natural` for data split by client, which takes no other, else to `iid`.",
        "partition.shards_per_client": "scheme shards: label-sorted shards "
            + "per client; the last rows that fill no shard are left out.",
        "model": "The model the clients (or a decentralized run's nodes) "
            + "train: a network, or in decentralized runs a convex objective.",
        "model.base": "Server runs: a model file (safetensors, such as a run's "
            + "`model.safetensors`) the run starts from; its layers must be those `kind` and "
            + "`hidden` make over the data (without adapters). Unset: the seeded initialization.",
        "model.hidden": "mlp: the hidden layers' widths, in order, with a ReLU after each; an mlp needs at least one.",
        "model.image": "cnn, layers: how a row is read, `[channels, rows, columns]`, channels first "
            + "(as IDX images are). Unset: `[1, s, s]` for s^2 features, else `[1, 1, features]`.",
        "model.kind": "`softmax` (multinomial logistic regression), `mlp`, `cnn` (the FedAvg paper's CNN: "
            + "two 5x5 convolutions of 32 and 64 channels with 2x2 max pooling, then a 512-unit dense layer) "
            + "or `layers` (the stages of `layers`); decentralized runs also take `logistic` (binary, no "
            + "intercept) and `least_squares` (linear regression on real targets, no intercept).",
        "model.l2": "Decentralized objectives: mu, the L2 regularization (mu/2) ||theta||^2; "
            + "required for `logistic` and `softmax`, which it makes mu-strongly convex, optional "
            + "for `least_squares` (a ridge). A network takes `training.weight_decay` instead.",
        "model.layers": "kind layers, required there: the stages in order, each `{conv: {...}}`, "
            + "`{maxpool: S}`, `relu`, `flatten` or `{dense: UNITS}`; convolutions and pooling come before "
            + "the first flatten or dense stage, and a dense layer to the classes follows by itself.",
        "model.layers[].conv": "A convolution stage: `filters` "
            + "He-normal kernels of `kernel` x `kernel` over the image.",
        "model.layers[].conv.filters": "The convolution's output channels, one kernel each.",
        "model.layers[].conv.kernel": "The side of the square kernel, in pixels.",
        "model.layers[].conv.padding": "Zero pixels added on every side of the image.",
        "model.layers[].conv.stride": "The step between kernel positions, in pixels.",
        "model.layers[].dense": "A He-normal dense layer with this many outputs.",
        "model.layers[].maxpool": "S: max pooling over non-overlapping S x S "
            + "windows; rows and columns that fill no window are dropped.",
        "model.lora": "Low-rank adapters on dense layers (server runs, `softmax` or `mlp`): "
            + "an adapted layer computes x W0 + b + (alpha/r) x A^T B^T with W0 and b frozen, "
            + "A drawn as PEFT does and B zero; `server.adapter` says what clients train.",
        "model.lora.alpha": "alpha: the adapters' output is scaled by alpha/r; defaults to the rank.",
        "model.lora.layers": "The adapted layers by stack index (`layers.<i>` in model files: "
            + "0, 2, ... for an mlp); the others train in full. Unset: every dense layer.",
        "model.lora.rank": "r: the rank of the adapters, A (r x inputs) and B (outputs x r).",
        "training": "Local training: what a client does with a task (a decentralized network's node with each "
            + "local event). A decentralized objective takes none; its algorithm's settings set the steps.",
        "training.batch_size": "Minibatch size; the last batch of an epoch may be smaller. Under sample-level "
            + "DP-SGD, the expected batch: the default sampling rate is min(1, batch_size / n_i).",
        "training.expert_model": "ordering curriculum, anti_curriculum: a model file of the "
            + "scenario's model (safetensors, no adapters) whose losses rank the rows, fixed scores "
            + "computed once per client. Unset: the global model a task starts from ranks them.",
        "training.gradient_clip": "c: each minibatch gradient longer than c is scaled to "
            + "L2 norm c before the optimizer step (PyTorch's `clip_grad_norm_`). Unset: "
            + "no clipping; not with sample-level DP-SGD, which clips each example.",
        "training.learning_rate": "The local optimizer's learning rate.",
        "training.local_epochs": "Passes over the client's data per task (per "
            + "local event of a decentralized node); not with `local_steps`.",
        "training.local_steps": "K: exactly K optimizer steps per task (per local event of a decentralized "
            + "node), instead of `local_epochs`; minibatches walk fresh permutations of the client's rows, "
            + "and under DP-SGD the K steps are Poisson-sampled. Unset: `local_epochs` sets the work.",
        "training.momentum": "optimizer momentum: mu in v <- mu v + g, theta <- theta - lr v.",
        "training.optimizer": "The local optimizer: `sgd`, `momentum` (heavy ball with "
            + "`momentum`) or `adam` (beta1 0.9, beta2 0.999, epsilon 1e-8, bias-corrected).",
        "training.ordering": "Server runs: how a task walks its client's rows: `shuffle` (fresh permutations of "
            + "all rows), or ranked by their loss under the global model the task starts from (or `expert_model`): "
            + "`curriculum` (easiest first), `anti_curriculum` (hardest first) or `random` (a random ranking per "
            + "task), in passes over a prefix that `pacing` grows. Not with sample-level DP-SGD.",
        "training.pacing": "ordering curriculum, anti_curriculum, random: how the visible "
            + "prefix of a client's N ranked rows grows, g(t) = N b + N (1 - b) f(t / (a T)) "
            + "(Wu et al. 2021), each pass a fresh shuffle of the first g(t) rows.",
        "training.pacing.full_at": "a: the fraction of the span T after which every row is visible.",
        "training.pacing.function": "f, how fast the visible prefix grows: `linear` (x), `quadratic` (x^2), "
            + "`root` (sqrt(x)), `exponential`, `logarithmic` or `step` (g(t) = N b + N floor(t / (a T))).",
        "training.pacing.over": "The span T: `local_steps` (each task's optimizer steps, restarting every task) or "
            + "`rounds` (`server.rounds`, t being the model version a task starts from; needs `server.rounds`).",
        "training.pacing.start": "b: the fraction of a client's rows visible at first.",
        "training.proximal_mu": "FedProx's mu: adds (mu/2) ||theta - theta_start||^2 "
            + "to the local objective, theta_start the model the task starts from.",
        "training.weight_decay": "lambda: the L2 penalty lambda theta added to every gradient (adam included).",
        "server": "The server run's strategy: the algorithm and its settings, how long to run, the "
            + "server optimizer and what the server does with adapters. A decentralized run has none.",
        "server.adapter": "With `model.lora`: `lora` (clients train A and B, the server averages each), "
            + "`ffa_lora` (A frozen at its draw, clients train and send B only) or `fedsvd` (as `ffa_lora`, "
            + "and the server re-factorizes B A by SVD every `svd_period` steps). Unset means `lora`.",
        "server.algorithm": "The server strategy: `fedavg` (synchronous rounds), "
            + "`fedasync` (each update applied as it returns), `fedbuff` (a step every "
            + "`buffer_size` updates) or `fedfix` (a step every `period` virtual seconds).",
        "server.async_weighting": "fedasync, fedbuff: d_i, an update's weight: `weight` compensates how often "
            + "a client returns (fedasync (sum_j 1/tau_j) tau_i p_i, fedbuff p_i / q_i), `identical` does not "
            + "(fedasync 1, fedbuff 1/c). Defaults to `weight` for fedasync and `identical` for fedbuff.",
        "server.beta1": "optimizer momentum, adam, yogi: the momentum coefficient or first-moment decay.",
        "server.beta2": "optimizer adam, yogi: the second-moment decay.",
        "server.buffer_size": "fedbuff, required there: c, the updates a step aggregates "
            + "(at most `partition.clients`); the step comes when the c-th returns.",
        "server.candidates": "selection power_of_choice: d, the candidates drawn without "
            + "replacement in proportion to their sample counts, of which the k with the "
            + "highest loss train; defaults to min(2k, clients), k the clients a round starts.",
        "server.clients_per_round": "fedavg, required there: k, the clients a round trains and aggregates, "
            + "drawn among those online (at most `partition.clients`, unless `sampling: proportional`).",
        "server.concurrency": "fedasync, fedbuff: the clients training at once; each time updates are "
            + "aggregated, as many clients are drawn at random among the idle ones (those just aggregated "
            + "included). Unset: every client trains at once, restarting as soon as its update is aggregated.",
        "server.deadline": "fedavg: virtual seconds after a round starts at which it closes; updates not back by "
            + "then are dropped (or, with `straggler_work: partial`, cut to the work that fits). Unset: no deadline.",
        "server.learning_rate": "eta_g, the server's step on the aggregate: "
            + "theta <- theta + eta_g sum_i d_i Delta_i (the learning rate of `optimizer`).",
        "server.losses": "selection power_of_choice: what candidates are ranked by: `global_model` "
            + "(their mean loss under the current global model, the paper's pow-d) or `reported` (the "
            + "training loss of their last aggregated update, +infinity before their first: rpow-d).",
        "server.optimizer": "The FedOpt rule applied to the aggregated step (Reddi et al. 2021, no bias "
            + "correction): `sgd` (plain), `momentum` (FedAvgM), `adam` (FedAdam) or `yogi` (FedYogi).",
        "server.over_selection": "fedavg: x; a round starts ceil(k (1 + x)) "
            + "clients and keeps the first k to return, dropping the rest.",
        "server.pacing": "selection curriculum, anti_curriculum, random_curriculum: how the pool of clients handed "
            + "out grows, as `training.pacing` grows a client's rows, over the run's `rounds` x k client updates.",
        "server.pacing.full_at": "a: the fraction of the run's client updates after which every client is in the pool.",
        "server.pacing.function": "f, how fast the pool grows: `linear`, `quadratic`, `root`, "
            + "`exponential`, `logarithmic` or `step`, as in `training.pacing.function`.",
        "server.pacing.start": "b: the fraction of the clients in the pool at first.",
        "server.period": "fedfix, required there: dt, the virtual seconds between steps; each step "
            + "aggregates every job that ended since the last, and those clients restart from the new model.",
        "server.rounds": "Aggregation steps to run (rounds, for fedavg). Give it or "
            + "`time_budget`; with both, the run stops at whichever comes first.",
        "server.sampling": "fedavg: `uniform` (k distinct clients, by `selection`) or `proportional` "
            + "(k draws with replacement, client i with probability n_i / n, each draw weighing 1/k: "
            + "the unbiased scheme of Li et al. 2020); `proportional` allows k above the clients and "
            + "excludes `selection`, `over_selection` and `weighting: samples`.",
        "server.selection": "fedavg: how a round picks its clients among those online: `uniform`, `power_of_choice` "
            + "(the k of `candidates` with the highest loss), or `curriculum`, `anti_curriculum`, `random_curriculum` "
            + "(clients ranked by their loss under the global model, handed out from a pool `pacing` grows; these "
            + "need `rounds`). Unset means `uniform`; rules that read losses do not combine with privacy.",
        "server.staleness": "fedasync: how an update's weight is damped by its staleness s, the "
            + "versions between the model its job started from and the model it is applied to.",
        "server.staleness.a": "kind polynomial: the exponent a of (1 + s)^-a (default "
            + "0.5); kind hinge: the slope a of 1 / (a (s - b) + 1) (default 10).",
        "server.staleness.b": "kind hinge: the staleness up to which updates are not damped.",
        "server.staleness.kind": "`constant` (no damping), `polynomial` "
            + "((1 + s)^-a) or `hinge` (1 up to s = `b`, then 1 / (a (s - b) + 1)).",
        "server.straggler_work": "fedavg, with `stragglers` or `deadline`: `drop` (a drawn straggler never trains; "
            + "one past the deadline is left out of its round) or `partial` (a drawn straggler trains 1 + floor(u "
            + "(E - 1)) of its E epochs or steps, u uniform in [0, 1); one past the deadline trains the steps that "
            + "fit before it, at least one), its update aggregated like any other. Not with privacy.",
        "server.stragglers": "fedavg: the share of each round's clients that straggle, drawn "
            + "afresh every round (FedProx's drop percent): all but round(n (1 - x)) of the "
            + "n, ties to even; `straggler_work` says what they do. Not with privacy.",
        "server.svd_period": "adapter fedsvd: the aggregation steps between two refactorizations of B A by SVD.",
        "server.tau": "optimizer adam, yogi: the adaptivity epsilon; v starts at tau^2.",
        "server.time_budget": "Virtual seconds to run; the run stops before the first later "
            + "event. Give it or `rounds`; with both, the run stops at whichever comes first.",
        "server.weighting": "fedavg: p_i, how an update weighs in its round: `samples` (in "
            + "proportion to the client's sample count) or `uniform`. Defaults to `uniform` "
            + "with `sampling: proportional` or client-level privacy, else `samples`.",
        "system": "The simulated clients' machines: compute times, links and availability. "
            + "Without it every job takes one virtual second and every client is always online.",
        "system.availability": "When clients are online: a job starts only when its client is, "
            + "and once started always finishes; a client never online again is never sampled.",
        "system.availability.mean_offline": "profile on_off, required there: the "
            + "mean of the exponential offline stretches, in virtual seconds.",
        "system.availability.mean_online": "profile on_off, required there: the mean of the "
            + "exponential online stretches, in virtual seconds; every client starts online.",
        "system.availability.p": "profile probability, required there: the "
            + "chance a client is online in each `period`, drawn independently.",
        "system.availability.path": "profile trace, required there: a CSV file of online intervals, "
            + "`client_id,start,end` (`end` may be `inf`); a client without rows is never online.",
        "system.availability.period": "profile probability, required there: the length in virtual seconds of "
            + "the periods [k period, (k+1) period), in each of which a client is online with probability `p`.",
        "system.availability.profile": "`always`, `probability` (online with probability `p` in each `period`), "
            + "`on_off` (exponential online and offline stretches) or `trace` (intervals read from a file).",
        "system.compute": "How long a client's local job computes, tau_i, whatever its epochs or steps.",
        "system.compute.heterogeneity": "profile linear, required there: X of the FedFix paper's "
            + "F-X, below 100: client i of M takes tau_i = slowest (1 - i (X/100) / (M - 1)).",
        "system.compute.mean": "profile exponential: the mean of tau_i, in virtual seconds.",
        "system.compute.mu": "profile lognormal: tau_i = exp(z), z ~ N(mu, sigma^2); the mean of z.",
        "system.compute.path": "profile trace, required there: a CSV file `client_id,seconds`, one row per client.",
        "system.compute.profile": "`constant`, `linear` (F-X speeds), "
            + "`exponential`, `lognormal` or `trace` (read from a file).",
        "system.compute.redraw": "profile exponential, lognormal: `per_client` (each client draws tau_i once, so "
            + "the same clients are slow every round) or `per_job` (each job draws its own time, so straggling is "
            + "a random event; asynchronous weighting then uses the profile's mean). Unset means `per_client`.",
        "system.compute.seconds": "profile constant: tau_i of every client, in virtual seconds.",
        "system.compute.sigma": "profile lognormal: the standard deviation of z in tau_i = exp(z).",
        "system.compute.slowest": "profile linear: tau_0, the slowest client's time, in virtual seconds.",
        "system.link": "The clients' links: a download or upload takes `latency` + message "
            + "bytes / bandwidth, the bytes being those of the real encoded messages.",
        "system.link.bandwidth_sigma": "sigma of a per-client bandwidth multiplier "
            + "exp(z), z ~ N(0, sigma^2), drawn once per client for both directions.",
        "system.link.download_bandwidth": "Bytes per second of a client's model downloads; unset means unlimited.",
        "system.link.latency": "Virtual seconds added to every download and upload.",
        "system.link.upload_bandwidth": "Bytes per second of a client's update uploads; unset means unlimited.",
        "privacy": "Makes a server run differentially private: sample-level DP-SGD or client-level "
            + "DP-FedAvg, with sigma given or calibrated before training. Without it the run is not private.",
        "privacy.clip": "C: the L2 norm each example's gradient (mode "
            + "sample) or each client's update (mode client) is clipped to.",
        "privacy.delta": "The delta of (epsilon, delta)-DP, in (0, 1).",
        "privacy.mode": "`sample` (DP-SGD in every client's local steps) or `client` (DP-FedAvg: the server "
            + "clips each update and adds noise to the step; fedavg only, every client always online).",
        "privacy.noise_multiplier": "sigma: the noise's standard deviation in units of `clip`. "
            + "Unset: calibrated to `target_epsilon` before training; give one of the two.",
        "privacy.sampling_rate": "mode sample: one Poisson sampling rate q for every "
            + "client's local steps. Unset: min(1, batch_size / n_i) for client i.",
        "privacy.target_epsilon": "The epsilon the worst client ends at, for which sigma is calibrated before "
            + "training; with `noise_multiplier` too, the run is refused if some client would end above it.",
        "attack": "Byzantine clients (nodes, in `dsgd` and `monna` runs): which ones, "
            + "by exactly one of `count`, `fraction` or `clients`, and what they send.",
        "attack.clients": "The Byzantine clients' ids (node ids in "
            + "decentralized runs), each below `partition.clients`.",
        "attack.count": "How many clients are Byzantine, drawn uniformly from the seed.",
        "attack.fraction": "The share of the clients that is Byzantine: "
            + "round(fraction x clients) of them, drawn uniformly from the seed.",
        "attack.index": "kind mimic: which honest update of the step the attackers copy, 0 the first.",
        "attack.kind": "Required in an `attack` section: `sign_flip` (minus the honest mean), `ipm` (-tau times the "
            + "honest mean), `alie` (mean + tau std per coordinate), `gaussian` (N(mean, sigma^2) per coordinate), "
            + "`mimic` (an honest update), `label_flip` (training on labels y -> C - 1 - y), or `optimal_ipm` and "
            + "`optimal_alie` (tau line-searched against the server's aggregator; server runs only).",
        "attack.mean": "kind gaussian: the mean of each coordinate the attackers send.",
        "attack.sigma": "kind gaussian: the standard deviation of each coordinate the attackers send.",
        "attack.tau": "kind ipm: epsilon, the attackers send -tau times the honest "
            + "mean (unset: 2); kind alie: z, they send mean + tau std (unset: 1.5).",
        "aggregator": "Server runs: a robust rule, behind optional pre-aggregators, that "
            + "combines each step's updates in place of the strategy's weighted sum, "
            + "weighing every update alike; not with fedasync or client-level privacy.",
        "aggregator.<parameter>": "A numeric parameter of the rule, by name: `f` (which every rule "
            + "accepts, and `nnm` and `arc` inherit), `tau` and `iterations` (centered_clipping), `nu`, "
            + "`T` and `tolerance` (geometric_median), `original` (krum, multi_krum; 1 or true scores "
            + "n - f - 2 neighbours), `m` (multi_krum), `rank`, `lambda` and `iterations` (flag).",
        "aggregator.pre": "The pre-aggregators run before the rule, in order: each a name "
            + "(`nnm`, `bucketing`, `static_clipping`, `arc`) or a mapping with a `name` "
            + "and numeric parameters, like `{name: bucketing, s: 2}`; `nnm` and `arc` "
            + "take `f` (the rule's unless given), `bucketing` `s`, `static_clipping` `c`.",
        "aggregator.rule": "The rule: `average`, `median`, `trimmed_mean`, `geometric_median`, "
            + "`krum`, `multi_krum`, `mda`, `meamed`, `centered_clipping` or `flag`; it is "
            + "tried on as many inputs as a step aggregates, so an `f` too large is an error.",
        "evaluation": "Server runs: when the global model is evaluated.",
        "evaluation.every": "k: the global model is evaluated on the "
            + "test set every k aggregation steps, and after the last.",
        "evaluation.global_train_every": "k: the global model is also evaluated on every client's "
            + "training rows every k steps (and after the last), giving `global_train_loss` and "
            + "`global_train_accuracy`, each row counting once. Unset: never.",
        "decentralized": "Makes the run decentralized: nodes (the parts of the partition) train over a graph with "
            + "no server. Such a run has no `server`, `system`, `aggregator`, `privacy` or `evaluation` section.",
        "decentralized.aggregator": "dsgd: a robust rule that replaces "
            + "the averaging of a node's and its neighbours' vectors.",
        "decentralized.aggregator.<parameter>": "A numeric parameter of the rule, by name: `f` and "
            + "the others the server's `aggregator` rules take, or `tau` for `clipped_gossip`.",
        "decentralized.aggregator.rule": "Any rule of the server's `aggregator` (no "
            + "pre-aggregators; the node's own vector first, then its neighbours' in increasing "
            + "order) or `clipped_gossip` (x_i <- h_i + sum_j W_ij clip(h_j - h_i, tau)).",
        "decentralized.algorithm": "`dadao` (needs an objective and a connected graph), `dsgd` (synchronous "
            + "D-SGD), `monna` (robust to Byzantine nodes) or `sa_srrw` (a token on a self-repellent random walk).",
        "decentralized.evaluation_interval": "Virtual time between two lines "
            + "of `metrics.jsonl`, the first at 0 and the last at the budget.",
        "decentralized.f": "monna: the Byzantine nodes tolerated, at most (n - 1) / 2. Unset: the attack's count.",
        "decentralized.local_steps": "dsgd on an objective: gradient steps per round.",
        "decentralized.momentum": "monna: beta in m <- beta m + (1 - beta) g.",
        "decentralized.step_size": "dsgd, monna on an objective: gamma, "
            + "the gradient step. Unset: 1 / L, L the nodes' smoothness.",
        "decentralized.time_budget": "Virtual time to run: DADAO's clock (one gradient per node per unit on "
            + "average), D-SGD's and MoNNA's rounds, SA-SRRW's step and link times (hops, with the defaults).",
        "decentralized.token": "sa_srrw: the walk, the token's steps and the link model.",
        "decentralized.token.a": "The exponent of the visit histogram's step gamma_n = (n + 1)^-a; 0.5 < a < b.",
        "decentralized.token.alpha": "The walk's self-repulsion: it moves to j with probability "
            + "proportional to P_ij (x_j / mu_j)^-alpha; 0 is the plain Metropolis-Hastings walk.",
        "decentralized.token.b": "The exponent of the model's step beta_n = (n + 1)^-b; a < b <= 1.",
        "decentralized.token.link_bandwidth": "Bytes per second of a token move, which takes "
            + "`link_latency` + 8 (d + 1) / bandwidth for d parameters; 0 means unlimited.",
        "decentralized.token.link_latency": "Virtual time added to every move of the token.",
        "decentralized.token.step_size": "On an objective: gamma, the step g = gamma times the gradient. Unset: 1 / L.",
        "decentralized.token.step_time": "Virtual time each local step takes.",
        "decentralized.topology": "The graph: an edge-list file (relative to the "
            + "scenario file's folder) or a generator, `{kind: ring, nodes: 16}`, as "
            + "`fedsim topology` makes; its node count must be `partition.clients`.",
        "decentralized.topology.columns": "kind torus, grid, required there: "
            + "the columns; node r x columns + c sits at row r, column c.",
        "decentralized.topology.kind": "`ring`, `path`, `torus`, `grid`, `complete`, "
            + "`star`, `barbell` (two complete graphs joined by one edge), `erdos_renyi`, "
            + "`random_geometric` or `exponential` (i linked to i +/- 2^k mod n).",
        "decentralized.topology.nodes": "Every kind but torus and grid, required "
            + "there: the node count (a barbell's, even, counts both halves).",
        "decentralized.topology.p": "kind erdos_renyi, required there: the probability "
            + "of each edge; the first connected draw of up to 100 is kept.",
        "decentralized.topology.radius": "kind random_geometric, required there: points uniform in the "
            + "unit square are linked within this distance; the first connected draw of up to 100 is kept.",
        "decentralized.topology.rows": "kind torus, grid, required there: the rows.",
        "decentralized.topology.seed": "kind erdos_renyi, random_geometric: "
            + "the graph's own seed, independent of the run's; unset means 0.",
        "decentralized.variant": "dsgd on an objective: `plain` or `gradient_tracking` (DIGing: "
            + "nodes also track the average gradient and converge to the exact optimum).",
        "data_seed": "The data's generation (synthetic sources), test split and partition derive from it, so "
            + "runs of several seeds can share one dataset; unset means `seed` (`--data-seed` overrides it).",
    ]
}

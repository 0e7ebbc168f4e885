import FedSimAlgorithms
import Foundation

/// The `system:` section: the simulated clients' machines.
extension ScenarioLoader {
    /// The `system:` section: compute, link and availability of the simulated clients.
    static func readSystem(_ reader: YAMLFieldReader, clients: Int, seed: UInt64,
                           baseDirectory: String) -> SystemSettings {
        var settings = SystemSettings()
        let issuesBefore = reader.issueCount

        let compute = reader.section("compute")
        let computeKind: ComputeProfileKind = compute.choice("profile", default: .constant)
        rejectFields(of: [.constant: ["seconds"], .linear: ["heterogeneity", "slowest"], .exponential: ["mean"],
                          .lognormal: ["mu", "sigma"], .trace: ["path"]],
                     except: computeKind, in: compute, what: "profile")
        switch computeKind {
        case .constant:
            settings.compute = .constant(seconds: compute.number("seconds", default: 1, in: 0...1e12, excludingLowerBound: true))
        case .linear:
            let heterogeneity = compute.number("heterogeneity", in: 0...100)
            if heterogeneity >= 100 {
                compute.report(compute.value("heterogeneity"), "heterogeneity",
                               "must be below 100 (F-100 would give the fastest client a job of 0 seconds), got \(heterogeneity)")
            }
            settings.compute = .linear(heterogeneity: min(heterogeneity, 99),
                                       slowest: compute.number("slowest", default: 1, in: 0...1e12, excludingLowerBound: true))
        case .exponential:
            settings.compute = .exponential(mean: compute.number("mean", default: 1, in: 0...1e12, excludingLowerBound: true))
        case .lognormal:
            settings.compute = .lognormal(mu: compute.number("mu", default: 0, in: -50...50),
                                          sigma: compute.number("sigma", default: 0.5, in: 0...10))
        case .trace:
            if let path = existingFile(compute, "path", baseDirectory: baseDirectory, kind: "compute trace"),
               let profile = readTrace(compute, path: path, parse: { try ComputeProfile.parseTrace($0, clients: clients, source: path) }) {
                settings.compute = profile
                settings.computeTrace = path
            }
        }
        if compute.has("redraw") {
            let redraw = compute.name("redraw", among: ["per_client", "per_job"], default: "per_client")
            if redraw == "per_job", computeKind != .exponential, computeKind != .lognormal {
                compute.report(compute.value("redraw"), "redraw",
                               "per_job draws each job's compute time from a random profile: use profile exponential or lognormal")
            } else {
                settings.redrawsCompute = redraw == "per_job"
            }
        }

        let link = reader.section("link")
        settings.link = LinkProfile(
            latency: link.number("latency", default: 0, in: 0...1e9),
            downloadBytesPerSecond: link.optionalNumber("download_bandwidth", in: 0...1e15, excludingLowerBound: true),
            uploadBytesPerSecond: link.optionalNumber("upload_bandwidth", in: 0...1e15, excludingLowerBound: true),
            bandwidthHeterogeneity: link.number("bandwidth_sigma", default: 0, in: 0...10))

        let availability = reader.section("availability")
        let availabilityKind: AvailabilityProfileKind = availability.choice("profile", default: .always)
        rejectFields(of: [.probability: ["p", "period"], .onOff: ["mean_online", "mean_offline"], .trace: ["path"]],
                     except: availabilityKind, in: availability, what: "profile")
        switch availabilityKind {
        case .always:
            settings.availability = .always
        case .probability:
            settings.availability = .probability(
                p: availability.number("p", in: 0...1, excludingLowerBound: true),
                period: availability.number("period", in: 0...1e12, excludingLowerBound: true))
        case .onOff:
            settings.availability = .onOff(
                meanOnline: availability.number("mean_online", in: 0...1e12, excludingLowerBound: true),
                meanOffline: availability.number("mean_offline", in: 0...1e12, excludingLowerBound: true))
        case .trace:
            if let path = existingFile(availability, "path", baseDirectory: baseDirectory, kind: "availability trace"),
               let profile = readTrace(availability, path: path, parse: {
                   try AvailabilityProfile.parseTrace($0, clients: clients, source: path) }) {
                settings.availability = profile
                settings.availabilityTrace = path
            }
        }
        for section in [compute, link, availability, reader] { section.finish() }

        // With the fields valid, only the drawn speeds can still fail (say lognormal
        // parameters whose draws overflow).
        guard reader.issueCount == issuesBefore else { return settings }
        do {
            _ = try settings.makeModel(clients: clients, seed: seed)
        } catch {
            reader.report(compute.node ?? reader.node, "compute", "\(error)")
        }
        return settings
    }

    /// Reads and parses the trace file at `path`, reporting any problem at field `path`.
    static func readTrace<Profile>(_ reader: YAMLFieldReader, path: String,
                                   parse: (String) throws -> Profile) -> Profile? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            reader.report(reader.value("path"), "path", "cannot read the trace '\(path)' (is it UTF-8 text?)")
            return nil
        }
        do {
            return try parse(text)
        } catch {
            reader.report(reader.value("path"), "path", "bad trace: \(error)")
            return nil
        }
    }
}

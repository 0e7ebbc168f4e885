/// Something that happens at a virtual time.
public enum ServerEvent: Equatable, Codable, Sendable {
    /// A job's update reaches the server.
    case jobEnded(Job)
    /// A timer a strategy set.
    case timer(Double)

    public var time: Double {
        switch self {
        case let .jobEnded(job): return job.end
        case let .timer(time): return time
        }
    }
}

/// Pending events in (time, job ends before timers, client id, insertion) order: a binary
/// heap, O(log n) per push and pop. At equal times every job that ends is seen before a
/// timer, so "every client whose job ended by then" includes jobs ending exactly then.
struct EventQueue: Equatable, Codable, Sendable {
    private struct Entry: Equatable, Codable, Sendable {
        let event: ServerEvent
        let sequence: Int

        var key: (Double, Int, Int, Int) {
            switch event {
            case let .jobEnded(job): return (job.end, 0, job.client, sequence)
            case let .timer(time): return (time, 1, 0, sequence)
            }
        }
    }

    private var heap: [Entry] = []
    private var inserted = 0

    var isEmpty: Bool { heap.isEmpty }
    var next: ServerEvent? { heap.first?.event }

    mutating func push(_ event: ServerEvent) {
        heap.append(Entry(event: event, sequence: inserted))
        inserted += 1
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].key < heap[parent].key else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> ServerEvent? {
        guard !heap.isEmpty else { return nil }
        heap.swapAt(0, heap.count - 1)
        let top = heap.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < heap.count, heap[left].key < heap[smallest].key { smallest = left }
            if right < heap.count, heap[right].key < heap[smallest].key { smallest = right }
            guard smallest != parent else { break }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
        return top.event
    }
}

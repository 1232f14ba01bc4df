/// A map whose entries together never cost more than a budget (bytes, or 1 per entry for a count),
/// dropping the least recently used ones, approximately, to make room.
///
/// Two generations, as in a two-handed clock: new and recently used entries live in `young`; when
/// `young` reaches half the budget it becomes `old` (the previous `old` is dropped whole) and a new
/// `young` starts. A hit in `old` moves the entry back to `young`. Each generation holds at most
/// half the budget, so the whole never exceeds it, every operation is O(1) amortised, and an entry
/// used at least once per half-budget of insertions is never dropped. Caches that face the network
/// (OCSP answers, per-client allowances) use it so that no sequence of requests can grow them past
/// their budget or make an insertion expensive. Not thread-safe; callers hold it behind a lock.
public struct BoundedCache<Key: Hashable, Value> {
    private struct Entry {
        var value: Value
        let cost: Int
    }

    /// The most the entries may cost together.
    public let budget: Int
    private var young: [Key: Entry] = [:]
    private var old: [Key: Entry] = [:]
    private var youngCost = 0
    private var oldCost = 0

    public init(budget: Int) {
        self.budget = max(2, budget)
    }

    /// What the entries cost together; never more than ``budget``.
    public var cost: Int { youngCost + oldCost }

    /// How many entries are held.
    public var count: Int { young.count + old.count }

    /// The value for `key`, marking it recently used.
    public mutating func value(for key: Key) -> Value? {
        if let entry = young[key] { return entry.value }
        guard let entry = old.removeValue(forKey: key) else { return nil }
        oldCost -= entry.cost
        insertYoung(key, entry)
        return entry.value
    }

    /// Stores `value` for `key` at `cost`; a value costing more than half the budget is not kept.
    public mutating func set(_ value: Value, for key: Key, cost: Int) {
        remove(key)
        guard cost >= 0, cost <= budget / 2 else { return }
        insertYoung(key, Entry(value: value, cost: cost))
    }

    /// Forgets `key`.
    public mutating func remove(_ key: Key) {
        if let entry = young.removeValue(forKey: key) { youngCost -= entry.cost }
        if let entry = old.removeValue(forKey: key) { oldCost -= entry.cost }
    }

    /// Forgets everything.
    public mutating func removeAll() {
        young = [:]
        old = [:]
        youngCost = 0
        oldCost = 0
    }

    private mutating func insertYoung(_ key: Key, _ entry: Entry) {
        if youngCost + entry.cost > budget / 2 {
            old = young
            oldCost = youngCost
            young = [:]
            youngCost = 0
        }
        young[key] = entry
        youngCost += entry.cost
    }
}

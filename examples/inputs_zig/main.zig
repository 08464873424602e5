//! inputs_zig reads every kind of input a WASI program has and prints a summary of it: the
//! wall-clock time, random numbers, its arguments, its environment, stdin, and the files of
//! a preopened directory (default /data; `inputs_zig [-dir DIR] ARGS...`).
//! Zig's standard library, no libc, built for wasm32-wasi (preview 1); see build.sh.
const std = @import("std");
const Io = std.Io;

pub fn main(init: std.process.Init) !void {
    const io = init.io;
    const arena = init.arena.allocator();

    var out_buffer: [4096]u8 = undefined;
    var out_file = Io.File.stdout().writer(io, &out_buffer);
    const out = &out_file.interface;
    defer out.flush() catch {};

    const argv = try init.minimal.args.toSlice(arena);
    var dir_name: []const u8 = "/data";
    var args = argv[@min(argv.len, 1)..];
    if (args.len >= 2 and std.mem.eql(u8, args[0], "-dir")) {
        dir_name = args[1];
        args = args[2..];
    }

    // Clocks: the wall clock, and the monotonic clock around a short sleep.
    const now = Io.Clock.real.now(io).toNanoseconds();
    const secs: u64 = @intCast(@divFloor(now, std.time.ns_per_s));
    const nanos: u64 = @intCast(@mod(now, std.time.ns_per_s));
    const epoch: std.time.epoch.EpochSeconds = .{ .secs = secs };
    const year_day = epoch.getEpochDay().calculateYearDay();
    const month_day = year_day.calculateMonthDay();
    const day_secs = epoch.getDaySeconds();
    try out.print("time: {d:0>4}-{d:0>2}-{d:0>2}T{d:0>2}:{d:0>2}:{d:0>2}.{d:0>9}Z (unix {d})\n", .{
        year_day.year,              month_day.month.numeric(),     month_day.day_index + 1,
        day_secs.getHoursIntoDay(), day_secs.getMinutesIntoHour(), day_secs.getSecondsIntoMinute(),
        nanos,                      secs,
    });
    const start = Io.Clock.awake.now(io);
    try io.sleep(.fromMilliseconds(20), .awake);
    const slept = start.durationTo(Io.Clock.awake.now(io));
    try out.print("slept: at least 20ms: {}\n", .{slept.toNanoseconds() >= 20 * std.time.ns_per_ms});

    // Random numbers: 16 bytes of entropy, and a generator seeded from them.
    var bytes: [16]u8 = undefined;
    try io.randomSecure(&bytes);
    try out.print("random bytes: {x}\n", .{&bytes});
    var prng: std.Random.DefaultPrng = .init(std.mem.readInt(u64, bytes[0..8], .little));
    const rand = prng.random();
    try out.print("random number below 1000000: {d}\n", .{rand.uintLessThan(u32, 1000000)});
    var deck = [_]u8{ 0, 1, 2, 3, 4, 5, 6, 7 };
    rand.shuffle(u8, &deck);
    try out.writeAll("shuffled 0..7: [");
    for (deck, 0..) |card, i| try out.print("{s}{d}", .{ if (i == 0) "" else " ", card });
    try out.writeAll("]\n");

    // Arguments.
    try out.print("argv[0]: {s}\n", .{if (argv.len > 0) argv[0] else ""});
    try out.print("{d} arguments:", .{args.len});
    for (args) |arg| try out.print(" \"{f}\"", .{std.zig.fmtString(arg)});
    try out.writeByte('\n');

    // Environment, sorted.
    const env = init.environ_map;
    const names = try arena.dupe([]const u8, env.keys());
    std.mem.sort([]const u8, names, {}, lessThan);
    try out.print("{d} environment variables:\n", .{names.len});
    for (names) |name| try out.print("  {s}={s}\n", .{ name, env.get(name).? });
    if (env.get("GREETING")) |greeting| try out.print("GREETING says \"{f}\"\n", .{std.zig.fmtString(greeting)});

    // stdin: bytes, lines, words and a digest.
    var in_buffer: [4096]u8 = undefined;
    var in_file = Io.File.stdin().reader(io, &in_buffer);
    const input = try in_file.interface.allocRemaining(arena, .unlimited);
    try out.print("stdin: {d} bytes, {d} lines, {d} words, fnv1a {x:0>16}\n", .{
        input.len,
        std.mem.countScalar(u8, input, '\n'),
        countWords(input),
        std.hash.Fnv1a_64.hash(input),
    });

    // Files: list the preopened directory, read each regular file and count its words.
    const dir = switch (init.preopens.get(dir_name) orelse {
        try out.print("{s}: not a preopened directory\n", .{dir_name});
        return;
    }) {
        .dir => |dir| dir,
        .file => {
            try out.print("{s}: not a directory\n", .{dir_name});
            return;
        },
    };
    var entries: std.ArrayList(Io.Dir.Entry) = .empty;
    var it = dir.iterate();
    while (try it.next(io)) |entry| {
        try entries.append(arena, .{ .name = try arena.dupe(u8, entry.name), .kind = entry.kind, .inode = entry.inode });
    }
    std.mem.sort(Io.Dir.Entry, entries.items, {}, entryLessThan);
    try out.print("{s}: {d} entries\n", .{ dir_name, entries.items.len });
    for (entries.items) |entry| {
        const stat = dir.statFile(io, entry.name, .{}) catch |err| {
            try out.print("  {s}: {t}\n", .{ entry.name, err });
            continue;
        };
        if (stat.kind != .file) {
            try out.print("  {s}: {t}\n", .{ entry.name, stat.kind });
            continue;
        }
        const data = dir.readFileAlloc(io, entry.name, arena, .unlimited) catch |err| {
            try out.print("  {s}: {t}\n", .{ entry.name, err });
            continue;
        };
        var words = std.mem.tokenizeAny(u8, data, &std.ascii.whitespace);
        const first = words.peek() orelse "";
        try out.print("  {s}: {d} bytes, {d} words, first word \"{f}\"\n", .{
            entry.name, data.len, countWords(data), std.zig.fmtString(first),
        });
    }
    if (dir.statFile(io, "missing.txt", .{})) |_| {} else |err| {
        try out.print("missing.txt: not there ({})\n", .{err == error.FileNotFound});
    }
}

fn lessThan(_: void, a: []const u8, b: []const u8) bool {
    return std.mem.lessThan(u8, a, b);
}

fn entryLessThan(_: void, a: Io.Dir.Entry, b: Io.Dir.Entry) bool {
    return std.mem.lessThan(u8, a.name, b.name);
}

fn countWords(data: []const u8) usize {
    var words = std.mem.tokenizeAny(u8, data, &std.ascii.whitespace);
    var n: usize = 0;
    while (words.next()) |_| n += 1;
    return n;
}

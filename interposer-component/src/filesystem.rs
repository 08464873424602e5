//! `wasi:filesystem`: every call on a descriptor, its listings and streams is recorded
//! with what the guest observed. Replay needs no host file at all: descriptors are
//! virtual, reads come from the trace, and writes are checked against the recording
//! (their data by digest) instead of being performed.

use crate::bindings::exports::wasi::filesystem::{preopens as e_pre, types as e_fs};
use crate::bindings::exports::wasi::io::{error as e_error, streams as e_streams};
use crate::bindings::wasi::clocks::wall_clock::Datetime as HostDatetime;
use crate::bindings::wasi::filesystem::{preopens as i_pre, types as i_fs};
use crate::bindings::wasi::io::error as i_error;
use crate::io::{plain_failure, Error, InputStream, OutputStream};
use crate::log::{made_in_replay, recorded};
use crate::results::{creating, guest, traced};
use crate::Interposer;
use std::cell::Cell;
use wasm_rr_trace::{
    self as trace, advice_variants, descriptor_type_variants, error_code_variants, Bytes,
    DescriptorId, DirectoryStreamId, StreamFailure,
};

thread_local! {
    static NEXT_DESCRIPTOR: Cell<DescriptorId> = const { Cell::new(0) };
    static NEXT_DIRECTORY_STREAM: Cell<DirectoryStreamId> = const { Cell::new(0) };
}

error_code_variants!(enum_conversions!(i_fs, e_fs, ErrorCode; ErrorCode;));
descriptor_type_variants!(enum_conversions!(i_fs, e_fs, DescriptorType; DescriptorType;));
advice_variants!(enum_conversions!(i_fs, e_fs, Advice; Advice;));

fn datetime(time: HostDatetime) -> trace::Datetime {
    trace::Datetime {
        seconds: time.seconds,
        nanoseconds: time.nanoseconds,
    }
}

impl From<i_fs::DescriptorStat> for trace::Stat {
    fn from(stat: i_fs::DescriptorStat) -> Self {
        trace::Stat {
            type_: stat.type_.into(),
            link_count: stat.link_count,
            size: stat.size,
            data_access_timestamp: stat.data_access_timestamp.map(datetime),
            data_modification_timestamp: stat.data_modification_timestamp.map(datetime),
            status_change_timestamp: stat.status_change_timestamp.map(datetime),
        }
    }
}

impl From<trace::Stat> for e_fs::DescriptorStat {
    fn from(stat: trace::Stat) -> Self {
        e_fs::DescriptorStat {
            type_: stat.type_.into(),
            link_count: stat.link_count,
            size: stat.size,
            data_access_timestamp: stat.data_access_timestamp.map(Into::into),
            data_modification_timestamp: stat.data_modification_timestamp.map(Into::into),
            status_change_timestamp: stat.status_change_timestamp.map(Into::into),
        }
    }
}

impl From<e_fs::NewTimestamp> for trace::NewTimestamp {
    fn from(time: e_fs::NewTimestamp) -> Self {
        match time {
            e_fs::NewTimestamp::NoChange => trace::NewTimestamp::NoChange,
            e_fs::NewTimestamp::Now => trace::NewTimestamp::Now,
            e_fs::NewTimestamp::Timestamp(t) => trace::NewTimestamp::Timestamp(trace::Datetime {
                seconds: t.seconds,
                nanoseconds: t.nanoseconds,
            }),
        }
    }
}

impl From<trace::NewTimestamp> for i_fs::NewTimestamp {
    fn from(time: trace::NewTimestamp) -> Self {
        match time {
            trace::NewTimestamp::NoChange => i_fs::NewTimestamp::NoChange,
            trace::NewTimestamp::Now => i_fs::NewTimestamp::Now,
            trace::NewTimestamp::Timestamp(t) => i_fs::NewTimestamp::Timestamp(HostDatetime {
                seconds: t.seconds,
                nanoseconds: t.nanoseconds,
            }),
        }
    }
}

impl From<i_fs::MetadataHashValue> for trace::MetadataHash {
    fn from(hash: i_fs::MetadataHashValue) -> Self {
        trace::MetadataHash {
            lower: hash.lower,
            upper: hash.upper,
        }
    }
}

impl From<trace::MetadataHash> for e_fs::MetadataHashValue {
    fn from(hash: trace::MetadataHash) -> Self {
        e_fs::MetadataHashValue {
            lower: hash.lower,
            upper: hash.upper,
        }
    }
}

fn entry_to_trace(entry: i_fs::DirectoryEntry) -> trace::DirectoryEntry {
    trace::DirectoryEntry {
        type_: entry.type_.into(),
        name: entry.name,
    }
}

fn entry_from_trace(entry: trace::DirectoryEntry) -> e_fs::DirectoryEntry {
    e_fs::DirectoryEntry {
        type_: entry.type_.into(),
        name: entry.name,
    }
}

/// A file's stream error for the trace, with its `filesystem-error-code`.
fn describe_error(error: &i_error::Error) -> StreamFailure {
    let filesystem = i_fs::filesystem_error_code(error).map(Into::into);
    StreamFailure {
        filesystem,
        ..plain_failure(error)
    }
}

type GuestResult<T> = Result<T, e_fs::ErrorCode>;

pub struct Descriptor {
    id: DescriptorId,
    /// `None` in replay.
    host: Option<i_fs::Descriptor>,
}

impl Descriptor {
    fn wrap(host: Option<i_fs::Descriptor>) -> e_fs::Descriptor {
        let id = NEXT_DESCRIPTOR.with(|next| next.replace(next.get() + 1));
        e_fs::Descriptor::new(Descriptor { id, host })
    }

    fn host(&self) -> &i_fs::Descriptor {
        self.host
            .as_ref()
            .unwrap_or_else(|| made_in_replay("a file or directory"))
    }
}

fn id_of(descriptor: &e_fs::DescriptorBorrow<'_>) -> DescriptorId {
    descriptor.get::<Descriptor>().id
}

fn host_of<'a>(descriptor: &'a e_fs::DescriptorBorrow<'_>) -> &'a i_fs::Descriptor {
    descriptor.get::<Descriptor>().host()
}

impl e_fs::GuestDescriptor for Descriptor {
    fn read_via_stream(&self, offset: u64) -> GuestResult<e_streams::InputStream> {
        creating::<trace::ReadViaStream, _, _, _, _>((self.id, offset), || {
            self.host().read_via_stream(offset)
        })
        .map(|host| InputStream::recorded(host, describe_error))
    }

    fn write_via_stream(&self, offset: u64) -> GuestResult<e_streams::OutputStream> {
        creating::<trace::WriteViaStream, _, _, _, _>((self.id, offset), || {
            self.host().write_via_stream(offset)
        })
        .map(|host| OutputStream::recorded(host, describe_error))
    }

    fn append_via_stream(&self) -> GuestResult<e_streams::OutputStream> {
        creating::<trace::AppendViaStream, _, _, _, _>((self.id,), || {
            self.host().append_via_stream()
        })
        .map(|host| OutputStream::recorded(host, describe_error))
    }

    fn advise(&self, offset: u64, length: u64, advice: e_fs::Advice) -> GuestResult<()> {
        let advice = trace::Advice::from(advice);
        guest(recorded::<trace::Advise>(
            (self.id, offset, length, advice),
            || traced(self.host().advise(offset, length, advice.into())),
        ))
    }

    fn sync_data(&self) -> GuestResult<()> {
        guest(recorded::<trace::SyncData>((self.id,), || {
            traced(self.host().sync_data())
        }))
    }

    fn get_flags(&self) -> GuestResult<e_fs::DescriptorFlags> {
        recorded::<trace::GetFlags>((self.id,), || {
            traced(self.host().get_flags().map(|flags| flags.bits()))
        })
        .map(e_fs::DescriptorFlags::from_bits_retain)
        .map_err(Into::into)
    }

    fn get_type(&self) -> GuestResult<e_fs::DescriptorType> {
        guest(recorded::<trace::GetType>((self.id,), || {
            traced(self.host().get_type())
        }))
    }

    fn set_size(&self, size: u64) -> GuestResult<()> {
        guest(recorded::<trace::SetSize>((self.id, size), || {
            traced(self.host().set_size(size))
        }))
    }

    fn set_times(&self, atime: e_fs::NewTimestamp, mtime: e_fs::NewTimestamp) -> GuestResult<()> {
        let (atime, mtime) = (
            trace::NewTimestamp::from(atime),
            trace::NewTimestamp::from(mtime),
        );
        guest(recorded::<trace::SetTimes>((self.id, atime, mtime), || {
            traced(self.host().set_times(atime.into(), mtime.into()))
        }))
    }

    fn read(&self, length: u64, offset: u64) -> GuestResult<(Vec<u8>, bool)> {
        recorded::<trace::Read>((self.id, length, offset), || {
            traced(
                self.host()
                    .read(length, offset)
                    .map(|(bytes, end)| (Bytes(bytes), end)),
            )
        })
        .map(|(bytes, end)| (bytes.0, end))
        .map_err(Into::into)
    }

    fn write(&self, buffer: Vec<u8>, offset: u64) -> GuestResult<u64> {
        let args = (self.id, offset, buffer.len() as u64, trace::digest(&buffer));
        guest(recorded::<trace::Write>(args, || {
            traced(self.host().write(&buffer, offset))
        }))
    }

    fn read_directory(&self) -> GuestResult<e_fs::DirectoryEntryStream> {
        creating::<trace::ReadDirectory, _, _, _, _>((self.id,), || self.host().read_directory())
            .map(DirectoryEntryStream::wrap)
    }

    fn sync(&self) -> GuestResult<()> {
        guest(recorded::<trace::Sync>((self.id,), || {
            traced(self.host().sync())
        }))
    }

    fn create_directory_at(&self, path: String) -> GuestResult<()> {
        let host = || traced(self.host().create_directory_at(&path));
        guest(recorded::<trace::CreateDirectoryAt>(
            (self.id, path.clone()),
            host,
        ))
    }

    fn stat(&self) -> GuestResult<e_fs::DescriptorStat> {
        guest(recorded::<trace::GetStat>((self.id,), || {
            traced(self.host().stat())
        }))
    }

    fn stat_at(
        &self,
        path_flags: e_fs::PathFlags,
        path: String,
    ) -> GuestResult<e_fs::DescriptorStat> {
        let flags = i_fs::PathFlags::from_bits_retain(path_flags.bits());
        let host = || traced(self.host().stat_at(flags, &path));
        guest(recorded::<trace::StatAt>(
            (self.id, path_flags.bits(), path.clone()),
            host,
        ))
    }

    fn set_times_at(
        &self,
        path_flags: e_fs::PathFlags,
        path: String,
        atime: e_fs::NewTimestamp,
        mtime: e_fs::NewTimestamp,
    ) -> GuestResult<()> {
        let flags = i_fs::PathFlags::from_bits_retain(path_flags.bits());
        let (atime, mtime) = (
            trace::NewTimestamp::from(atime),
            trace::NewTimestamp::from(mtime),
        );
        let host = || {
            traced(
                self.host()
                    .set_times_at(flags, &path, atime.into(), mtime.into()),
            )
        };
        let args = (self.id, path_flags.bits(), path.clone(), atime, mtime);
        guest(recorded::<trace::SetTimesAt>(args, host))
    }

    fn link_at(
        &self,
        old_path_flags: e_fs::PathFlags,
        old_path: String,
        new_descriptor: e_fs::DescriptorBorrow<'_>,
        new_path: String,
    ) -> GuestResult<()> {
        let flags = i_fs::PathFlags::from_bits_retain(old_path_flags.bits());
        let host = || {
            traced(
                self.host()
                    .link_at(flags, &old_path, host_of(&new_descriptor), &new_path),
            )
        };
        let args = (
            self.id,
            old_path_flags.bits(),
            old_path.clone(),
            id_of(&new_descriptor),
            new_path.clone(),
        );
        guest(recorded::<trace::LinkAt>(args, host))
    }

    fn open_at(
        &self,
        path_flags: e_fs::PathFlags,
        path: String,
        open_flags: e_fs::OpenFlags,
        flags: e_fs::DescriptorFlags,
    ) -> GuestResult<e_fs::Descriptor> {
        let args = (
            self.id,
            path_flags.bits(),
            path.clone(),
            open_flags.bits(),
            flags.bits(),
        );
        creating::<trace::OpenAt, _, _, _, _>(args, || {
            self.host().open_at(
                i_fs::PathFlags::from_bits_retain(path_flags.bits()),
                &path,
                i_fs::OpenFlags::from_bits_retain(open_flags.bits()),
                i_fs::DescriptorFlags::from_bits_retain(flags.bits()),
            )
        })
        .map(Descriptor::wrap)
    }

    fn readlink_at(&self, path: String) -> GuestResult<String> {
        let host = || traced(self.host().readlink_at(&path));
        guest(recorded::<trace::ReadlinkAt>((self.id, path.clone()), host))
    }

    fn remove_directory_at(&self, path: String) -> GuestResult<()> {
        let host = || traced(self.host().remove_directory_at(&path));
        guest(recorded::<trace::RemoveDirectoryAt>(
            (self.id, path.clone()),
            host,
        ))
    }

    fn rename_at(
        &self,
        old_path: String,
        new_descriptor: e_fs::DescriptorBorrow<'_>,
        new_path: String,
    ) -> GuestResult<()> {
        let host = || {
            traced(
                self.host()
                    .rename_at(&old_path, host_of(&new_descriptor), &new_path),
            )
        };
        let args = (
            self.id,
            old_path.clone(),
            id_of(&new_descriptor),
            new_path.clone(),
        );
        guest(recorded::<trace::RenameAt>(args, host))
    }

    fn symlink_at(&self, old_path: String, new_path: String) -> GuestResult<()> {
        let host = || traced(self.host().symlink_at(&old_path, &new_path));
        guest(recorded::<trace::SymlinkAt>(
            (self.id, old_path.clone(), new_path.clone()),
            host,
        ))
    }

    fn unlink_file_at(&self, path: String) -> GuestResult<()> {
        let host = || traced(self.host().unlink_file_at(&path));
        guest(recorded::<trace::UnlinkFileAt>(
            (self.id, path.clone()),
            host,
        ))
    }

    fn is_same_object(&self, other: e_fs::DescriptorBorrow<'_>) -> bool {
        recorded::<trace::IsSameObject>((self.id, id_of(&other)), || {
            self.host().is_same_object(host_of(&other))
        })
    }

    fn metadata_hash(&self) -> GuestResult<e_fs::MetadataHashValue> {
        guest(recorded::<trace::GetMetadataHash>((self.id,), || {
            traced(self.host().metadata_hash())
        }))
    }

    fn metadata_hash_at(
        &self,
        path_flags: e_fs::PathFlags,
        path: String,
    ) -> GuestResult<e_fs::MetadataHashValue> {
        let flags = i_fs::PathFlags::from_bits_retain(path_flags.bits());
        let host = || traced(self.host().metadata_hash_at(flags, &path));
        guest(recorded::<trace::MetadataHashAt>(
            (self.id, path_flags.bits(), path.clone()),
            host,
        ))
    }
}

pub struct DirectoryEntryStream {
    id: DirectoryStreamId,
    /// `None` in replay.
    host: Option<i_fs::DirectoryEntryStream>,
}

impl DirectoryEntryStream {
    fn wrap(host: Option<i_fs::DirectoryEntryStream>) -> e_fs::DirectoryEntryStream {
        let id = NEXT_DIRECTORY_STREAM.with(|next| next.replace(next.get() + 1));
        e_fs::DirectoryEntryStream::new(DirectoryEntryStream { id, host })
    }
}

impl e_fs::GuestDirectoryEntryStream for DirectoryEntryStream {
    fn read_directory_entry(&self) -> GuestResult<Option<e_fs::DirectoryEntry>> {
        recorded::<trace::ReadDirectoryEntry>((self.id,), || {
            let host = self
                .host
                .as_ref()
                .unwrap_or_else(|| made_in_replay("a directory listing"));
            traced(
                host.read_directory_entry()
                    .map(|entry| entry.map(entry_to_trace)),
            )
        })
        .map(|entry| entry.map(entry_from_trace))
        .map_err(Into::into)
    }
}

impl e_fs::Guest for Interposer {
    type Descriptor = Descriptor;
    type DirectoryEntryStream = DirectoryEntryStream;

    fn filesystem_error_code(error: e_error::ErrorBorrow<'_>) -> Option<e_fs::ErrorCode> {
        error.get::<Error>().filesystem_code().map(Into::into)
    }
}

impl e_pre::Guest for Interposer {
    /// The guest paths are recorded, never the host directories behind them.
    fn get_directories() -> Vec<(e_fs::Descriptor, String)> {
        let mut hosts = Vec::new();
        let names = recorded::<trace::GetDirectories>((), || {
            let preopens = i_pre::get_directories();
            preopens
                .into_iter()
                .map(|(descriptor, name)| {
                    hosts.push(descriptor);
                    name
                })
                .collect()
        });
        let mut hosts = hosts.into_iter();
        names
            .into_iter()
            .map(|name| (Descriptor::wrap(hosts.next()), name))
            .collect()
    }
}

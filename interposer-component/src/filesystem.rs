//! `wasi:filesystem`: wrapped because its functions use the interposer's `wasi:io`
//! types; calls pass through to the host unrecorded, so `--dir` preopens work. Recording
//! them is the filesystem issue's work.

use crate::bindings::exports::wasi::filesystem::{preopens as e_pre, types as e_fs};
use crate::bindings::exports::wasi::io::{error as e_error, streams as e_streams};
use crate::bindings::wasi::filesystem::{preopens as i_pre, types as i_fs};
use crate::io::{Error, InputStream, OutputStream};
use crate::Interposer;

/// Conversions between the imported and exported copies of a WIT enum or flags type
/// (wit-bindgen gives them distinct Rust types).
macro_rules! mirror {
    (enum $ty:ident { $($variant:ident),* $(,)? }) => {
        impl From<i_fs::$ty> for e_fs::$ty {
            fn from(value: i_fs::$ty) -> Self {
                match value { $(i_fs::$ty::$variant => e_fs::$ty::$variant,)* }
            }
        }
        impl From<e_fs::$ty> for i_fs::$ty {
            fn from(value: e_fs::$ty) -> Self {
                match value { $(e_fs::$ty::$variant => i_fs::$ty::$variant,)* }
            }
        }
    };
    (flags $($ty:ident),*) => { $(
        impl From<i_fs::$ty> for e_fs::$ty {
            fn from(value: i_fs::$ty) -> Self { e_fs::$ty::from_bits_retain(value.bits()) }
        }
        impl From<e_fs::$ty> for i_fs::$ty {
            fn from(value: e_fs::$ty) -> Self { i_fs::$ty::from_bits_retain(value.bits()) }
        }
    )* };
}

mirror!(
    enum ErrorCode {
        Access,
        WouldBlock,
        Already,
        BadDescriptor,
        Busy,
        Deadlock,
        Quota,
        Exist,
        FileTooLarge,
        IllegalByteSequence,
        InProgress,
        Interrupted,
        Invalid,
        Io,
        IsDirectory,
        Loop,
        TooManyLinks,
        MessageSize,
        NameTooLong,
        NoDevice,
        NoEntry,
        NoLock,
        InsufficientMemory,
        InsufficientSpace,
        NotDirectory,
        NotEmpty,
        NotRecoverable,
        Unsupported,
        NoTty,
        NoSuchDevice,
        Overflow,
        NotPermitted,
        Pipe,
        ReadOnly,
        InvalidSeek,
        TextFileBusy,
        CrossDevice,
    }
);
mirror!(
    enum DescriptorType {
        Unknown,
        BlockDevice,
        CharacterDevice,
        Directory,
        Fifo,
        SymbolicLink,
        RegularFile,
        Socket,
    }
);
mirror!(
    enum Advice {
        Normal,
        Sequential,
        Random,
        WillNeed,
        DontNeed,
        NoReuse,
    }
);
mirror!(flags DescriptorFlags, PathFlags, OpenFlags);

impl From<i_fs::DescriptorStat> for e_fs::DescriptorStat {
    fn from(stat: i_fs::DescriptorStat) -> Self {
        e_fs::DescriptorStat {
            type_: stat.type_.into(),
            link_count: stat.link_count,
            size: stat.size,
            data_access_timestamp: stat.data_access_timestamp.map(datetime),
            data_modification_timestamp: stat.data_modification_timestamp.map(datetime),
            status_change_timestamp: stat.status_change_timestamp.map(datetime),
        }
    }
}

fn datetime(time: crate::bindings::wasi::clocks::wall_clock::Datetime) -> e_fs::Datetime {
    e_fs::Datetime {
        seconds: time.seconds,
        nanoseconds: time.nanoseconds,
    }
}

impl From<e_fs::NewTimestamp> for i_fs::NewTimestamp {
    fn from(time: e_fs::NewTimestamp) -> Self {
        match time {
            e_fs::NewTimestamp::NoChange => i_fs::NewTimestamp::NoChange,
            e_fs::NewTimestamp::Now => i_fs::NewTimestamp::Now,
            e_fs::NewTimestamp::Timestamp(t) => {
                i_fs::NewTimestamp::Timestamp(crate::bindings::wasi::clocks::wall_clock::Datetime {
                    seconds: t.seconds,
                    nanoseconds: t.nanoseconds,
                })
            }
        }
    }
}

impl From<i_fs::MetadataHashValue> for e_fs::MetadataHashValue {
    fn from(hash: i_fs::MetadataHashValue) -> Self {
        e_fs::MetadataHashValue {
            lower: hash.lower,
            upper: hash.upper,
        }
    }
}

type FsResult<T> = Result<T, e_fs::ErrorCode>;

/// A host result as the guest sees it.
fn pass<T, U: From<T>>(result: Result<T, i_fs::ErrorCode>) -> FsResult<U> {
    result.map(U::from).map_err(e_fs::ErrorCode::from)
}

pub struct Descriptor(i_fs::Descriptor);

impl Descriptor {
    fn wrap(host: i_fs::Descriptor) -> e_fs::Descriptor {
        e_fs::Descriptor::new(Descriptor(host))
    }
}

fn host<'a>(descriptor: &'a e_fs::DescriptorBorrow<'_>) -> &'a i_fs::Descriptor {
    &descriptor.get::<Descriptor>().0
}

impl e_fs::GuestDescriptor for Descriptor {
    fn read_via_stream(&self, offset: u64) -> FsResult<e_streams::InputStream> {
        self.0
            .read_via_stream(offset)
            .map(InputStream::passthrough)
            .map_err(Into::into)
    }
    fn write_via_stream(&self, offset: u64) -> FsResult<e_streams::OutputStream> {
        self.0
            .write_via_stream(offset)
            .map(OutputStream::passthrough)
            .map_err(Into::into)
    }
    fn append_via_stream(&self) -> FsResult<e_streams::OutputStream> {
        self.0
            .append_via_stream()
            .map(OutputStream::passthrough)
            .map_err(Into::into)
    }
    fn advise(&self, offset: u64, length: u64, advice: e_fs::Advice) -> FsResult<()> {
        pass(self.0.advise(offset, length, advice.into()))
    }
    fn sync_data(&self) -> FsResult<()> {
        pass(self.0.sync_data())
    }
    fn get_flags(&self) -> FsResult<e_fs::DescriptorFlags> {
        pass(self.0.get_flags())
    }
    fn get_type(&self) -> FsResult<e_fs::DescriptorType> {
        pass(self.0.get_type())
    }
    fn set_size(&self, size: u64) -> FsResult<()> {
        pass(self.0.set_size(size))
    }
    fn set_times(&self, atime: e_fs::NewTimestamp, mtime: e_fs::NewTimestamp) -> FsResult<()> {
        pass(self.0.set_times(atime.into(), mtime.into()))
    }
    fn read(&self, length: u64, offset: u64) -> FsResult<(Vec<u8>, bool)> {
        pass(self.0.read(length, offset))
    }
    fn write(&self, buffer: Vec<u8>, offset: u64) -> FsResult<u64> {
        pass(self.0.write(&buffer, offset))
    }
    fn read_directory(&self) -> FsResult<e_fs::DirectoryEntryStream> {
        self.0
            .read_directory()
            .map(|entries| e_fs::DirectoryEntryStream::new(DirectoryEntryStream(entries)))
            .map_err(Into::into)
    }
    fn sync(&self) -> FsResult<()> {
        pass(self.0.sync())
    }
    fn create_directory_at(&self, path: String) -> FsResult<()> {
        pass(self.0.create_directory_at(&path))
    }
    fn stat(&self) -> FsResult<e_fs::DescriptorStat> {
        pass(self.0.stat())
    }
    fn stat_at(&self, path_flags: e_fs::PathFlags, path: String) -> FsResult<e_fs::DescriptorStat> {
        pass(self.0.stat_at(path_flags.into(), &path))
    }
    fn set_times_at(
        &self,
        path_flags: e_fs::PathFlags,
        path: String,
        atime: e_fs::NewTimestamp,
        mtime: e_fs::NewTimestamp,
    ) -> FsResult<()> {
        pass(
            self.0
                .set_times_at(path_flags.into(), &path, atime.into(), mtime.into()),
        )
    }
    fn link_at(
        &self,
        old_path_flags: e_fs::PathFlags,
        old_path: String,
        new_descriptor: e_fs::DescriptorBorrow<'_>,
        new_path: String,
    ) -> FsResult<()> {
        pass(self.0.link_at(
            old_path_flags.into(),
            &old_path,
            host(&new_descriptor),
            &new_path,
        ))
    }
    fn open_at(
        &self,
        path_flags: e_fs::PathFlags,
        path: String,
        open_flags: e_fs::OpenFlags,
        flags: e_fs::DescriptorFlags,
    ) -> FsResult<e_fs::Descriptor> {
        self.0
            .open_at(path_flags.into(), &path, open_flags.into(), flags.into())
            .map(Descriptor::wrap)
            .map_err(Into::into)
    }
    fn readlink_at(&self, path: String) -> FsResult<String> {
        pass(self.0.readlink_at(&path))
    }
    fn remove_directory_at(&self, path: String) -> FsResult<()> {
        pass(self.0.remove_directory_at(&path))
    }
    fn rename_at(
        &self,
        old_path: String,
        new_descriptor: e_fs::DescriptorBorrow<'_>,
        new_path: String,
    ) -> FsResult<()> {
        pass(
            self.0
                .rename_at(&old_path, host(&new_descriptor), &new_path),
        )
    }
    fn symlink_at(&self, old_path: String, new_path: String) -> FsResult<()> {
        pass(self.0.symlink_at(&old_path, &new_path))
    }
    fn unlink_file_at(&self, path: String) -> FsResult<()> {
        pass(self.0.unlink_file_at(&path))
    }
    fn is_same_object(&self, other: e_fs::DescriptorBorrow<'_>) -> bool {
        self.0.is_same_object(host(&other))
    }
    fn metadata_hash(&self) -> FsResult<e_fs::MetadataHashValue> {
        pass(self.0.metadata_hash())
    }
    fn metadata_hash_at(
        &self,
        path_flags: e_fs::PathFlags,
        path: String,
    ) -> FsResult<e_fs::MetadataHashValue> {
        pass(self.0.metadata_hash_at(path_flags.into(), &path))
    }
}

pub struct DirectoryEntryStream(i_fs::DirectoryEntryStream);

impl e_fs::GuestDirectoryEntryStream for DirectoryEntryStream {
    fn read_directory_entry(&self) -> FsResult<Option<e_fs::DirectoryEntry>> {
        self.0
            .read_directory_entry()
            .map(|entry| {
                entry.map(|e| e_fs::DirectoryEntry {
                    type_: e.type_.into(),
                    name: e.name,
                })
            })
            .map_err(Into::into)
    }
}

impl e_fs::Guest for Interposer {
    type Descriptor = Descriptor;
    type DirectoryEntryStream = DirectoryEntryStream;

    fn filesystem_error_code(error: e_error::ErrorBorrow<'_>) -> Option<e_fs::ErrorCode> {
        let host = error.get::<Error>().host()?;
        i_fs::filesystem_error_code(host).map(Into::into)
    }
}

impl e_pre::Guest for Interposer {
    fn get_directories() -> Vec<(e_fs::Descriptor, String)> {
        i_pre::get_directories()
            .into_iter()
            .map(|(descriptor, path)| (Descriptor::wrap(descriptor), path))
            .collect()
    }
}

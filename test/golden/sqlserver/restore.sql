-- @db = N'Sales ]DB'' 販売 Ünïcode'
-- @file = N'C:\bak\full '' 販売.bak'
-- @position = 1
-- @move0_from = N'Sales]Data'
-- @move0_to = N'C:\dbclone\work\staging\databases\0-Sales ]DB'' 販売 Ünïcode\f1-Sales]Data.mdf'
-- @move1_from = N'Sales Data 2'
-- @move1_to = N'C:\dbclone\work\staging\databases\0-Sales ]DB'' 販売 Ünïcode\f3-Sales Data 2.ndf'
-- @move2_from = N'Sales''Log'
-- @move2_to = N'C:\dbclone\work\staging\databases\0-Sales ]DB'' 販売 Ünïcode\f2-Sales''Log.ldf'
-- @move3_from = N'販売 FS'
-- @move3_to = N'C:\dbclone\work\staging\databases\0-Sales ]DB'' 販売 Ünïcode\filestream\f65537-販売 FS'
-- @move4_from = N'ftcat'
-- @move4_to = N'C:\dbclone\work\staging\databases\0-Sales ]DB'' 販売 Ünïcode\fulltext\f65538-ftcat'
RESTORE DATABASE @db FROM DISK = @file WITH FILE = @position, MOVE @move0_from TO @move0_to, MOVE @move1_from TO @move1_to, MOVE @move2_from TO @move2_to, MOVE @move3_from TO @move3_to, MOVE @move4_from TO @move4_to, NORECOVERY, STATS = 5;
GO

-- @db = N'Sales ]DB'' 販売 Ünïcode'
-- @file = N'C:\bak\diff.bak'
-- @position = 1
RESTORE DATABASE @db FROM DISK = @file WITH FILE = @position, NORECOVERY, STATS = 5;
GO

-- @db = N'Sales ]DB'' 販売 Ünïcode'
-- @file = N'C:\bak\l2.trn'
-- @position = 1
RESTORE LOG @db FROM DISK = @file WITH FILE = @position, NORECOVERY, STATS = 5;
GO

-- @db = N'Sales ]DB'' 販売 Ünïcode'
-- @file = N'C:\bak\l3.trn'
-- @position = 1
RESTORE LOG @db FROM DISK = @file WITH FILE = @position, NORECOVERY, STATS = 5;
GO

-- @db = N'Sales ]DB'' 販売 Ünïcode'
RESTORE DATABASE @db WITH RECOVERY;
GO

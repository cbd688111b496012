module aurastream.local/lambda-extension

go 1.22
